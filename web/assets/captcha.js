// The captcha (کد امنیتی) of the sign-in forms: a picture from POST /captcha and its answer.
import { call } from "./api.js";
import { el } from "./dom.js";
import { normaliseNumber } from "./digits.js";
import { errorText } from "./forms.js";

/** A captcha picture from POST /captcha, with its answer field and a button for a new one. */
export class Captcha {
  constructor(box) {
    this.id = null;
    this.timer = null;
    const uid = Math.random().toString(36).slice(2, 8);
    this.image = el("img", { alt: "تصویر کد امنیتی", width: "160", height: "60", class: "captcha-img" });
    this.input = el("input", { id: `captcha-${uid}`, name: "captcha_answer", type: "text",
      inputmode: "numeric", autocomplete: "off", dir: "ltr", "aria-describedby": `captcha-hint-${uid}` });
    box.append(
      el("label", { for: `captcha-${uid}` }, "کد امنیتی"),
      el("div", { class: "captcha-row" }, this.image,
        el("button", { type: "button", class: "small", onclick: () => this.refresh(true) }, "کد امنیتی جدید")),
      el("p", { class: "hint", id: `captcha-hint-${uid}` }, "کد امنیتی را به عدد وارد نمایید."),
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

  /** The captcha's id and the typed answer; waits for a picture still on its way. */
  async answer() {
    await this.pending;
    return { captcha_id: this.id || "", captcha_answer: normaliseNumber(this.input.value) };
  }
}
