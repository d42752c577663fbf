import { describe, expect, test } from "bun:test";
import { checkFormat, parseDateTime, parseDuration, type DateTimeFields } from "../../src/expressions/datetime.ts";

const at = (
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  extra: Partial<DateTimeFields> = {},
): DateTimeFields => ({ year, month, day, hour, minute, second, microsecond: 0, ...extra });

const parsed: { text: string; format: string; expected: DateTimeFields | undefined }[] = [
  { text: "2011-12-15", format: "%Y-%m-%d", expected: at(2011, 12, 15) },
  { text: "15.12.2011", format: "%d.%m.%Y", expected: at(2011, 12, 15) },
  { text: "15 Dec 2011", format: "%d %b %Y", expected: at(2011, 12, 15) },
  { text: "15 dec 2011", format: "%d %b %Y", expected: at(2011, 12, 15) },
  { text: "Monday, 5 JUNE 99", format: "%A, %d %B %y", expected: at(1999, 6, 5) },
  { text: "Tue 1 Jan 68", format: "%a %d %b %y", expected: at(2068, 1, 1) },
  { text: "1/2/69", format: "%d/%m/%y", expected: at(1969, 2, 1) },
  { text: "01/02/00", format: "%d/%m/%y", expected: at(2000, 2, 1) },
  // Whitespace in the format matches any run of whitespace, none included.
  { text: "15   Dec\t2011", format: "%d %b %Y", expected: at(2011, 12, 15) },
  { text: "15Dec2011", format: "%d %b %Y", expected: at(2011, 12, 15) },
  { text: "22:15", format: "%H:%M", expected: at(1900, 1, 1, 22, 15) },
  { text: "22 Uhr 15", format: "%H Uhr %M", expected: at(1900, 1, 1, 22, 15) },
  { text: "22 uhr 15", format: "%H Uhr %M", expected: at(1900, 1, 1, 22, 15) },
  { text: "1204", format: "%H%M", expected: at(1900, 1, 1, 12, 4) },
  { text: "123", format: "%H%M", expected: at(1900, 1, 1, 12, 3) },
  { text: "12:30 am", format: "%I:%M %p", expected: at(1900, 1, 1, 0, 30) },
  { text: "12:30 PM", format: "%I:%M %p", expected: at(1900, 1, 1, 12, 30) },
  { text: "3:05:09 pm", format: "%I:%M:%S %p", expected: at(1900, 1, 1, 15, 5, 9) },
  { text: "12", format: "%I", expected: at(1900, 1, 1, 0) },
  { text: "2024 060", format: "%Y %j", expected: at(2024, 2, 29) },
  { text: "2023 365", format: "%Y %j", expected: at(2023, 12, 31) },
  { text: "100%", format: "%d%%", expected: undefined },
  { text: "10%", format: "%d%%", expected: at(1900, 1, 10) },
  { text: "[2011] (x)", format: "[%Y] (x)", expected: at(2011, 1, 1) },
  {
    text: "2023-06-01T10:00:00.5+02:00",
    format: "%Y-%m-%dT%H:%M:%S.%f%z",
    expected: at(2023, 6, 1, 10, 0, 0, { microsecond: 500000, utcOffsetSeconds: 7200 }),
  },
  { text: "2023-06-01 -0130", format: "%Y-%m-%d %z", expected: at(2023, 6, 1, 0, 0, 0, { utcOffsetSeconds: -5400 }) },
  { text: "2023-06-01Z", format: "%Y-%m-%d%z", expected: at(2023, 6, 1, 0, 0, 0, { utcOffsetSeconds: 0 }) },
  { text: "2023-06-01 123456", format: "%Y-%m-%d %f", expected: at(2023, 6, 1, 0, 0, 0, { microsecond: 123456 }) },
  // Impossible dates, times and leftovers give nothing.
  { text: "30.02.2011", format: "%d.%m.%Y", expected: undefined },
  { text: "29.02.2011", format: "%d.%m.%Y", expected: undefined },
  { text: "29.02.2012", format: "%d.%m.%Y", expected: at(2012, 2, 29) },
  { text: "29.02.1900", format: "%d.%m.%Y", expected: undefined },
  { text: "29.02.2000", format: "%d.%m.%Y", expected: at(2000, 2, 29) },
  { text: "31.04.2011", format: "%d.%m.%Y", expected: undefined },
  { text: "Feb 29", format: "%b %d", expected: undefined },
  { text: "2023 366", format: "%Y %j", expected: undefined },
  { text: "13.13.2011", format: "%d.%m.%Y", expected: undefined },
  { text: "24:00", format: "%H:%M", expected: undefined },
  { text: "10:60", format: "%H:%M", expected: undefined },
  { text: "10:00:60", format: "%H:%M:%S", expected: undefined },
  { text: "15.12.2011 extra", format: "%d.%m.%Y", expected: undefined },
  { text: " 15.12.2011", format: "%d.%m.%Y", expected: undefined },
  { text: "15.12.11", format: "%d.%m.%Y", expected: undefined },
  { text: "15 Sept 2011", format: "%d %b %Y", expected: undefined },
  { text: "2023-06-01 +2500", format: "%Y-%m-%d %z", expected: undefined },
  { text: "", format: "%Y", expected: undefined },
];

describe("parseDateTime", () => {
  test.each(parsed)("$text with $format", ({ text, format, expected }) => {
    expect(parseDateTime(text, format)).toEqual(expected);
  });

  test("an invalid format throws a RangeError naming the problem", () => {
    expect(() => parseDateTime("1", "%Q")).toThrow(new RangeError('format "%Q" has an unknown directive "%Q"'));
  });
});

const formats: { format: string; kind?: "datetime" | "duration"; reason: string | undefined }[] = [
  { format: "%Y-%m-%d", reason: undefined },
  { format: "%d %b %Y %H:%M:%S.%f %z", reason: undefined },
  { format: "%A %a %B %j %I %p %y %%", reason: undefined },
  { format: "%H Uhr %M", reason: undefined },
  { format: "%d.%Q.%Y", reason: 'format "%d.%Q.%Y" has an unknown directive "%Q"' },
  { format: "%Y-%m-%d %", reason: 'format "%Y-%m-%d %" ends with a lone "%" (write "%%" for a percent sign)' },
  { format: "%d.%m.%d", reason: 'format "%d.%m.%d" uses %d twice' },
  { format: "today", reason: 'format "today" has no % directive' },
  { format: "%%", reason: 'format "%%" has no % directive' },
  { format: "", reason: "format is empty" },
  { format: "%H:%M", kind: "duration", reason: undefined },
  { format: "%H hours %M minutes %S seconds", kind: "duration", reason: undefined },
  { format: "%S", kind: "duration", reason: undefined },
  { format: "%M:%S", kind: "duration", reason: undefined },
  { format: "%d days %H:%M", kind: "duration", reason: 'format "%d days %H:%M" uses %d; a duration may only use %H, %M and %S' },
  { format: "%M%", kind: "duration", reason: 'format "%M%" ends with a lone "%" (write "%%" for a percent sign)' },
];

describe("checkFormat", () => {
  test.each(formats)("$format ($kind)", ({ format, kind, reason }) => {
    expect(checkFormat(format, kind)).toBe(reason);
  });
});

const durations: { text: string; format: string; seconds: number | undefined }[] = [
  { text: "01:25", format: "%H:%M", seconds: 5100 },
  { text: "1:25", format: "%H:%M", seconds: 5100 },
  { text: "1", format: "%H:%M", seconds: 3600 },
  { text: "3", format: "%H:%M", seconds: 10800 },
  { text: "0", format: "%H:%M", seconds: 0 },
  { text: "1:25:37", format: "%H:%M:%S", seconds: 5137 },
  { text: "4:35", format: "%M:%S", seconds: 275 },
  { text: "77:35", format: "%M:%S", seconds: 4655 },
  { text: "1", format: "%M:%S", seconds: 60 },
  { text: "7", format: "%M:%S", seconds: 420 },
  { text: "47", format: "%M", seconds: 2820 },
  { text: "77", format: "%M", seconds: 4620 },
  { text: "62", format: "%S", seconds: 62 },
  { text: "3600", format: "%S", seconds: 3600 },
  { text: "5127", format: "%S", seconds: 5127 },
  { text: "2 hours 17 minutes 15 seconds", format: "%H hours %M minutes %S seconds", seconds: 8235 },
  { text: "2 Hours 17 Minutes", format: "%H hours %M minutes", seconds: 8220 },
  { text: "30", format: "%H hours", seconds: 108000 },
  // Only the leading field may overflow.
  { text: "1:75", format: "%M:%S", seconds: undefined },
  { text: "1:77:00", format: "%H:%M:%S", seconds: undefined },
  { text: "1:25:37", format: "%M:%S", seconds: undefined },
  { text: "abc", format: "%M", seconds: undefined },
  { text: "-5", format: "%M", seconds: undefined },
  { text: "", format: "%M", seconds: undefined },
];

describe("parseDuration", () => {
  test.each(durations)("$text with $format", ({ text, format, seconds }) => {
    expect(parseDuration(text, format)).toBe(seconds);
  });

  test("a non-duration format throws", () => {
    expect(() => parseDuration("1", "%d")).toThrow(RangeError);
  });
});
