// Captures microphone audio, resamples it to 16 kHz mono and posts 100 ms Int16 frames to the page.
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.position = 0;
    this.frame = new Int16Array(1600);
    this.filled = 0;
  }
  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channel = input[0];
    let energy = 0;
    for (let i = 0; i < channel.length; i++) energy += channel[i] * channel[i];
    this.port.postMessage({ type: "level", rms: Math.sqrt(energy / channel.length) });
    // Linear interpolation is enough for speech at these ratios; the server resamples nothing further.
    while (this.position < channel.length - 1) {
      const i = Math.floor(this.position);
      const frac = this.position - i;
      const value = channel[i] * (1 - frac) + channel[i + 1] * frac;
      this.frame[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(value * 32767)));
      if (this.filled === this.frame.length) {
        this.port.postMessage({ type: "frame", pcm: this.frame.buffer }, [this.frame.buffer]);
        this.frame = new Int16Array(1600);
        this.filled = 0;
      }
      this.position += this.ratio;
    }
    this.position -= channel.length;
    return true;
  }
}
registerProcessor("pcm-capture", PcmCapture);
