// The countdown beside «ارسال مجدد رمز عبور موقت»: mm:ss in Persian digits, to a deadline.
import { toPersian } from "./digits.js";

/** Seconds as mm:ss, rounded up (01:57 while 116.2 s are left), in Persian digits. */
export function formatClock(seconds) {
  const whole = Math.max(0, Math.ceil(Number(seconds) || 0));
  const pad = (n) => String(n).padStart(2, "0");
  return toPersian(`${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`);
}

/** Calls onTick(secondsLeft) until the deadline, then onTick(0) and onDone() once.
 * Counts against a deadline, not ticks, so a sleeping phone tab shows the right time.
 * Returns a function that stops it. The clock and timer are injectable for tests. */
export function startCountdown(seconds, { onTick, onDone, now = () => Date.now(),
  every = (fn, ms) => setInterval(fn, ms), stop = (id) => clearInterval(id) } = {}) {
  const deadline = now() + Math.max(0, Number(seconds) || 0) * 1000;
  let timer = null;
  let finished = false;
  const tick = () => {
    if (finished) return;
    const left = (deadline - now()) / 1000;
    if (left > 0) {
      onTick?.(left);
      return;
    }
    finished = true;
    if (timer !== null) stop(timer);
    onTick?.(0);
    onDone?.();
  };
  tick();
  if (!finished) timer = every(tick, 250);
  return () => {
    finished = true;
    if (timer !== null) stop(timer);
  };
}
