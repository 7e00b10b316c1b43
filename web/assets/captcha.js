// The captcha (کد امنیتی) of the sign-in forms: a picture from POST /captcha, or the same
// kind of answer heard from POST /captcha/audio (the non-visual alternative), and its field.
import { call } from "./api.js";
import { el } from "./dom.js";
import { normaliseNumber } from "./digits.js";
import { errorText } from "./forms.js";

/** A captcha picture from POST /captcha, with its answer field, a button for a new one and
 * one to hear an audio captcha instead. */
export class Captcha {
  constructor(box) {
    this.id = null;
    this.timer = null;
    const uid = Math.random().toString(36).slice(2, 8);
    // Drawn at 320x120, shown at 160x60: sharp on a phone's dense screen.
    this.image = el("img", { alt: "تصویر کد امنیتی", width: "160", height: "60", class: "captcha-img" });
    this.sound = el("audio", { controls: true, class: "captcha-audio", title: "کد امنیتی صوتی", hidden: true });
    this.input = el("input", { id: `captcha-${uid}`, name: "captcha_answer", type: "text",
      inputmode: "numeric", autocomplete: "off", dir: "ltr", "aria-describedby": `captcha-hint-${uid}` });
    box.append(
      el("label", { for: `captcha-${uid}` }, "کد امنیتی"),
      el("div", { class: "captcha-row" }, this.image, this.sound,
        el("button", { type: "button", class: "small", onclick: () => this.refresh(true) }, "کد امنیتی جدید"),
        el("button", { type: "button", class: "small", onclick: () => this.listen() }, "کد امنیتی صوتی")),
      el("p", { class: "hint", id: `captcha-hint-${uid}` }, "کد امنیتی را به عدد وارد نمایید. کد صوتی پنج رقم فارسی است که پس از سه بوق خوانده می‌شود."),
      this.input,
    );
    this.refresh();
  }

  refresh(focus = false) {
    this.pending = this.load(focus);
    return this.pending;
  }

  async load(focus) {
    clearTimeout(this.timer);
    this.input.value = "";
    if (!this.input.isConnected && this.id) return;
    try {
      const data = await call("POST", "/captcha");
      this.id = data.captcha_id;
      this.sound.pause();
      this.sound.hidden = true;
      this.image.hidden = false;
      this.image.src = data.image;
      this.image.alt = "تصویر کد امنیتی";
      // An expired captcha answers captcha_invalid: take a new one a little before.
      this.timer = setTimeout(() => this.input.isConnected && this.refresh(),
        Math.max(10, data.expires_in - 5) * 1000);
    } catch (error) {
      this.id = null;
      this.image.removeAttribute("src");
      this.image.alt = errorText(error);
    }
    if (focus) this.input.focus();
  }

  /** An audio captcha in place of the picture: played at once (the button was pressed),
   * with the player's own controls to hear it again. */
  listen() {
    this.pending = this.loadAudio();
    return this.pending;
  }

  async loadAudio() {
    clearTimeout(this.timer);
    this.input.value = "";
    try {
      const data = await call("POST", "/captcha/audio");
      this.id = data.captcha_id;
      this.image.hidden = true;
      this.sound.hidden = false;
      this.sound.src = data.audio;
      this.sound.play().catch(() => {}); // a browser that refuses autoplay keeps the controls
      this.timer = setTimeout(() => this.input.isConnected && this.refresh(),
        Math.max(10, data.expires_in - 5) * 1000);
    } catch (error) {
      this.sound.hidden = true;
      this.image.alt = errorText(error);
    }
    this.input.focus();
  }

  /** The captcha's id and the typed answer; waits for a picture still on its way. */
  async answer() {
    await this.pending;
    return { captcha_id: this.id || "", captcha_answer: normaliseNumber(this.input.value) };
  }
}
