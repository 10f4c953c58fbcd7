// Numbers in the workspace's currency and locale (from GET /me), through Intl.NumberFormat.

export const MEASURES = {
  spend: { label: "Spend", format: "currency", better: "none" },
  impressions: { label: "Impressions", format: "integer", better: "up" },
  clicks: { label: "Clicks", format: "integer", better: "up" },
  conversions: { label: "Conversions", format: "number", better: "up" },
  conversion_value: { label: "Revenue", format: "currency", better: "up" },
  ctr: { label: "CTR", format: "percent", better: "up" },
  cpc: { label: "CPC", format: "currency", better: "down" },
  cpm: { label: "CPM", format: "currency", better: "down" },
  cpa: { label: "CPA", format: "currency", better: "down" },
  cvr: { label: "CVR", format: "percent", better: "up" },
  roas: { label: "ROAS", format: "ratio", better: "up" },
  aov: { label: "AOV", format: "currency", better: "up" },
  sessions: { label: "Sessions", format: "integer", better: "up" },
  revenue: { label: "GA4 revenue", format: "currency", better: "up" },
};

function safeLocale(locale) {
  const candidate = String(locale || "").replace("_", "-");
  try {
    return Intl.NumberFormat.supportedLocalesOf([candidate]).length ? candidate : undefined;
  } catch {
    return undefined;
  }
}

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

// The day weeks start on where the user is (Sunday in the US, Monday in most of Europe),
// sent as the query's weekStart so weekly charts cut weeks as the user's reports do.
function firstWeekday(locale) {
  try {
    const info = new Intl.Locale(locale);
    const week = typeof info.getWeekInfo === "function" ? info.getWeekInfo() : info.weekInfo;
    return WEEKDAYS[((week && week.firstDay) || 1) - 1];
  } catch {
    return "monday";
  }
}

export function formatter(me) {
  const locale = safeLocale(me.locale) || navigator.language || "en-US";
  const currency = /^[A-Z]{3}$/.test(me.currency || "") ? me.currency : "USD";
  const money = new Intl.NumberFormat(locale, { style: "currency", currency });
  const moneyWhole = new Intl.NumberFormat(locale, { style: "currency", currency, maximumFractionDigits: 0 });
  const moneyShort = new Intl.NumberFormat(locale, { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 });
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  const compactPrecise = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 2 });
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 });
  const change = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });
  const ratio = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const dateOnly = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const none = "–";
  const byFormat = {
    currency: (v) => money.format(v),
    integer: (v) => integer.format(v),
    number: (v) => number.format(v),
    percent: (v) => percent.format(v),
    ratio: (v) => `${ratio.format(v)}×`,
  };
  return {
    locale,
    currency,
    weekStart: firstWeekday(locale),
    // A measure's value as people read it; null (a ratio over 0) reads as a dash.
    measure(name, value) {
      if (value === null || value === undefined || Number.isNaN(value)) return none;
      const format = (MEASURES[name] || {}).format || "number";
      return byFormat[format](Number(value));
    },
    // Tiles are narrow: whole currency units from 1,000 up, counts compact from 10 million
    // (the exact value is the tile's tooltip).
    tile(name, value) {
      const format = (MEASURES[name] || {}).format;
      if (value === null || value === undefined) return none;
      if (format === "currency" && Math.abs(value) >= 1000) return moneyWhole.format(value);
      if ((format === "integer" || format === "number") && Math.abs(value) >= 1e7) return compactPrecise.format(value);
      return this.measure(name, value);
    },
    short(name, value) {
      if (value === null || value === undefined) return none;
      const format = (MEASURES[name] || {}).format || "number";
      if (format === "currency") return moneyShort.format(value);
      if (format === "integer" || format === "number") return compact.format(value);
      return byFormat[format](Number(value));
    },
    money: (v) => (v === null || v === undefined ? none : money.format(v)),
    integer: (v) => (v === null || v === undefined ? none : integer.format(v)),
    number: (v) => (v === null || v === undefined ? none : number.format(v)),
    percent: (v) => (v === null || v === undefined ? none : percent.format(v)),
    change: (v) => (v === null || v === undefined ? none : change.format(v)),
    ratio: (v) => (v === null || v === undefined ? none : `${ratio.format(v)}×`),
    date(text) {
      if (!text) return none;
      const value = new Date(String(text).length === 10 ? `${text}T00:00:00Z` : text);
      return Number.isNaN(value.getTime()) ? String(text) : dateOnly.format(value);
    },
    // A span of days: one date when it is a single day.
    days(start, end) {
      const first = this.date(start);
      const last = this.date(end);
      return first === last ? first : `${first} – ${last}`;
    },
    dateTime(text) {
      if (!text) return none;
      const value = new Date(text);
      return Number.isNaN(value.getTime()) ? String(text) : dateTime.format(value);
    },
  };
}
