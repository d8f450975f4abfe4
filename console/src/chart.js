// Small line charts drawn as inline SVG: a few series of [{ time, value }] over the same
// time window, from zero to a rounded maximum. Lines are told apart by dash pattern as well
// as colour, and each chart carries a text summary for screen readers.

import { h, svg } from "./dom.js";
import { duration, rate } from "./format.js";

const WIDTH = 300;
const HEIGHT = 90;
// The scale's top line, below the maximum's label.
const TOP = 16;

// A figure: `title`, the series ({ name, points }), the unit of values ("/s" or "").
export function chart(title, series, unit) {
  const all = series.flatMap((s) => s.points).filter((p) => p.value !== null);
  const times = series.flatMap((s) => s.points.map((p) => p.time));
  const start = Math.min(...times);
  const end = Math.max(...times);
  const max = niceMax(Math.max(0, ...all.map((p) => p.value)));
  const x = (time) => (end > start ? ((time - start) / (end - start)) * WIDTH : WIDTH);
  const y = (value) => HEIGHT - (value / max) * (HEIGHT - TOP);
  const lines = series.map((s, index) =>
    svg("g", { class: `series series-${index}` }, segments(s.points).map((segment) =>
      segment.length === 1
        ? svg("circle", { cx: x(segment[0].time), cy: y(segment[0].value), r: 2 })
        : svg("polyline", {
            points: segment.map((p) => `${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join(" "),
          }),
    )),
  );
  const latest = series.map((s) => lastValue(s.points));
  const span = end > start ? duration((end - start) / 1000) : "one sample";
  const summary = `${title}: ${series
    .map((s, i) => `${s.name} ${latest[i] === null ? "no data" : `${rate(latest[i])}${unit}`}`)
    .join(", ")}; highest ${rate(max)}${unit} on the scale, over ${span}.`;
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", null, title),
    h(
      "div",
      { class: "plot" },
      // Outside the SVG, which stretches to the figure's width and would stretch text too.
      h("span", { class: "scale", "aria-hidden": "true" }, `${rate(max)}${unit}`),
      svg(
        "svg",
        { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": summary, preserveAspectRatio: "none" },
        svg("line", { class: "axis", x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5 }),
        svg("line", { class: "grid", x1: 0, y1: TOP, x2: WIDTH, y2: TOP }),
        lines,
      ),
    ),
    h(
      "ul",
      { class: "legend" },
      series.map((s, i) =>
        h(
          "li",
          { class: `legend-${i}` },
          h("span", { class: "swatch", "aria-hidden": "true" }),
          `${s.name} `,
          h("strong", { "data-latest": s.name }, latest[i] === null ? "–" : `${rate(latest[i])}${unit}`),
        ),
      ),
    ),
    h("p", { class: "chart-span" }, `last ${span}`),
  );
}

// Runs of consecutive points with values: a null (no rate) breaks the line.
function segments(points) {
  const runs = [];
  let run = [];
  for (const point of points) {
    if (point.value === null || point.value === undefined) {
      if (run.length) {
        runs.push(run);
      }
      run = [];
    } else {
      run.push(point);
    }
  }
  if (run.length) {
    runs.push(run);
  }
  return runs;
}

function lastValue(points) {
  for (let i = points.length - 1; i >= 0; i -= 1) {
    if (points[i].value !== null && points[i].value !== undefined) {
      return points[i].value;
    }
  }
  return null;
}

// The scale's top: 1, 2 or 5 times a power of ten, at least the largest value (and 1).
function niceMax(value) {
  if (value <= 1) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) {
      return step * power;
    }
  }
  return 10 * power;
}
