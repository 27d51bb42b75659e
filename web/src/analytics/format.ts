// Numbers, durations and dates as a host reads them, in the browser's locale.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const shortDateTime = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const timeSeconds = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export const fmt = {
  int: (value: number | null | undefined) => (value == null ? "—" : integer.format(value)),
  dec: (value: number | null | undefined) => (value == null ? "—" : decimal.format(value)),
  pct: (value: number | null | undefined) => (value == null || !Number.isFinite(value) ? "—" : percent.format(value)),
  dateTime: (value: string | null | undefined) => (value ? dateTime.format(new Date(value)) : "—"),
  /** Without the year, for tables under a heading that gives it. */
  shortDateTime: (value: string | null | undefined) => (value ? shortDateTime.format(new Date(value)) : "—"),
  date: (value: string | null | undefined) => (value ? date.format(new Date(value)) : "—"),
  time: (value: string | number | Date) => time.format(new Date(value)),
  timeSeconds: (value: string | number | Date) => timeSeconds.format(new Date(value)),
  /** Seconds as "1 h 05 min", "12 min 30 s", "45 s". */
  duration(seconds: number | null | undefined): string {
    if (seconds == null) return "—";
    const total = Math.max(0, Math.round(seconds));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    if (h > 0) return `${integer.format(h)} h ${String(m).padStart(2, "0")} min`;
    if (m > 0) return `${m} min ${String(s).padStart(2, "0")} s`;
    return `${s} s`;
  },
  /** A span of two instants: "Nov 2, 2026, 9:00 AM – 9:55 AM". */
  span(start: string, end: string): string {
    const a = new Date(start);
    const b = new Date(end);
    const sameDay = a.toDateString() === b.toDateString();
    return sameDay ? `${dateTime.format(a)} – ${time.format(b)}` : `${dateTime.format(a)} – ${dateTime.format(b)}`;
  },
  /** SESSION_FORMAT → "Session format". */
  enumLabel(value: string | null | undefined): string {
    if (!value) return "—";
    const words = value.toLowerCase().split("_");
    const text = words.join(" ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  },
};

export const FORMAT_LABELS: Record<string, string> = {
  MAINSTAGE_SESSION: "Main stage",
  BREAKOUT_SESSION: "Breakout",
  NETWORKING_SESSION: "Networking",
  WORKSHOP_SESSION: "Workshop",
  EXPO: "Expo",
  BREAK: "Break",
  OTHER: "Other",
};
