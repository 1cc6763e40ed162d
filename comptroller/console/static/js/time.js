// Ranges in a chosen IANA time zone, without a date library: Intl gives each instant's wall
// time there, and a local midnight is found by correcting a UTC guess by the zone's offset.

function wallParts(timeZone, date) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(date);
  const value = Object.fromEntries(parts.map((part) => [part.type, Number(part.value)]));
  return value;
}

function offsetMs(timeZone, date) {
  const v = wallParts(timeZone, date);
  const wall = Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second);
  return wall - Math.floor(date.getTime() / 1000) * 1000;
}

// "YYYY-MM-DD" of an instant in a zone.
export function localDay(timeZone, date = new Date()) {
  const v = wallParts(timeZone, date);
  return `${v.year}-${String(v.month).padStart(2, "0")}-${String(v.day).padStart(2, "0")}`;
}

export function addDays(day, days) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

// The instant of a day's first moment in a zone (the next existing one if midnight is skipped).
export function startOfDay(timeZone, day) {
  const [y, m, d] = day.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d);
  let guess = wall;
  for (let i = 0; i < 3; i += 1) guess = wall - offsetMs(timeZone, new Date(guess));
  return new Date(guess);
}

// The API's TimeRange for whole local days, `to` inclusive.
export function timeRange({ from, to, timezone, granularity }) {
  return {
    from: startOfDay(timezone, from).toISOString(),
    to: startOfDay(timezone, addDays(to, 1)).toISOString(),
    timezone,
    granularity,
  };
}

export function zones() {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return all.includes("UTC") ? all : ["UTC", ...all];
}

export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

// A bucket's label, in the range's zone, as precise as its granularity.
export function bucketLabel(iso, timezone, granularity) {
  const options = { timeZone: timezone };
  if (granularity === "HOUR") Object.assign(options, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  else if (granularity === "MONTH") Object.assign(options, { year: "numeric", month: "short" });
  else Object.assign(options, { year: "numeric", month: "2-digit", day: "2-digit" });
  return new Intl.DateTimeFormat("en-CA", options).format(new Date(iso));
}

export function instantLabel(iso, timezone) {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
  }).format(new Date(iso));
}
