// The device screen's dialogs: add a device (and its old SIM), its history, block, unblock.
// Each takes `done(data)`, the devices screen's reload, so no import goes back to it.
import { call, currentSession, imeiPath } from "./api.js";
import { simChoice } from "./cartable.js";
import { maskMsisdn, toPersian } from "./digits.js";
import { $, el, fromTemplate, num } from "./dom.js";
import { openDialog } from "./dialogs.js";
import { errorText, number, onSubmit } from "./forms.js";
import { jalaliDateTime } from "./jalali.js";
import { BLOCK_FA, EVENT_FA, SOURCE_FA } from "./labels.js";

export function openAdd(done) {
  let pending = null;
  const dialog = openDialog("tpl-dialog-add");
  const added = async (data) => {
    dialog.close();
    await done(data);
  };
  const first = $("#add-device", dialog);
  simChoice($("[data-sim-choice]", first));
  onSubmit(first, async (form) => {
    pending = { imei: number(form, "imei") };
    if (form.elements.msisdn) pending.msisdn = form.elements.msisdn.value;
    try {
      await added(await call("POST", "/devices", pending));
    } catch (error) {
      if (error.code !== "previous_msisdn_required") throw error;
      // The guide's step five: the device was on a SIM that expired or changed hands.
      form.replaceWith(fromTemplate("tpl-add-previous"));
      const second = $("#add-previous", dialog);
      $("input", second).focus();
      onSubmit(second, async (form2) => {
        await added(await call("POST", "/devices", { ...pending, previous_msisdn: number(form2, "previous_msisdn") }));
      });
    }
  });
}

export function openHistory(device) {
  openDialog("tpl-dialog-history", async (dialog) => {
    const list = $(".events", dialog);
    $("h2", dialog).textContent = `سوابق دستگاه ${toPersian(device.imeis[0])}`;
    try {
      const { events } = await call("GET", `/devices/${imeiPath(device.imeis[0])}/history`);
      for (const event of events) {
        const who = event.counterparty || event.msisdn;
        list.append(el("li", {},
          el("strong", {}, EVENT_FA[event.type] || event.type),
          " — ", event.at_jalali ? num(event.at_jalali) : jalaliDateTime(event.at),
          who ? el("span", {}, " — شماره: ", num(who.includes("*") ? who : maskMsisdn(who), who)) : null,
          event.detail && SOURCE_FA[event.detail] ? ` — ${SOURCE_FA[event.detail]}` : null));
      }
      if (!events.length) list.append(el("li", {}, "سابقه‌ای نیست."));
    } catch (error) {
      $(".error", dialog).textContent = errorText(error);
    }
  });
}

export function openBlock(device, done) {
  openDialog("tpl-dialog-block", (dialog) => {
    onSubmit($("#block", dialog), async (form) => {
      const reason = form.elements.reason.value;
      await call("POST", `/devices/${imeiPath(device.imeis[0])}/block`, { reason });
      dialog.close();
      await done(`گوشی به عنوان ${BLOCK_FA[reason]} ثبت و مسدود شد.`);
    });
  });
}

export function openUnblock(device, done) {
  const nid = currentSession()?.kind === "national_id";
  openDialog("tpl-dialog-unblock", (dialog) => {
    // A national-ID cartable's block is lifted only with its password (API.md "Lost or stolen").
    if (!nid) $("#unblock-password-box", dialog).remove();
    onSubmit($("#unblock", dialog), async (form) => {
      await call("DELETE", `/devices/${imeiPath(device.imeis[0])}/block`, nid ? { password: form.elements.password.value } : {});
      dialog.close();
      await done("مسدودی گوشی برداشته شد.");
    });
  });
}
