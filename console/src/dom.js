// Building the page: elements from plain calls, no templates and no innerHTML, so nothing
// the API returns (names, properties, player data) is ever parsed as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

// Attributes set as DOM properties rather than with setAttribute.
const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "required", "multiple"]);

// An element: `h("button", { class: "primary", onclick: go }, "Apply")`. Children may be
// strings, nodes, arrays of them, or null/false/undefined (skipped).
export function h(tag, attributes, ...children) {
  return fill(document.createElement(tag), attributes, children);
}

// An SVG element, as `h` builds HTML ones.
export function svg(tag, attributes, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attributes, children);
}

function fill(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (PROPERTIES.has(name)) {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.append(child);
    } else {
      element.append(String(child));
    }
  }
}

// Replaces everything in `element` with `children`.
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

// A unique id for pairing labels, descriptions and controls.
let nextId = 0;
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

// A table: its caption is its accessible name (hidden: a heading above shows it), then a
// header row. A row is an array of cells (strings or nodes), or `{ cells, attributes }`. An
// empty table says so in one full-width cell.
export function table(caption, headers, rows, empty = "None.") {
  const body = rows.length
    ? rows.map((row) => {
        const { cells, attributes } = Array.isArray(row) ? { cells: row, attributes: null } : row;
        return h("tr", attributes, cells.map((cell) => h("td", null, cell)));
      })
    : [h("tr", null, h("td", { colspan: headers.length, class: "empty" }, empty))];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", null, h("tr", null, headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", null, body),
    ),
  );
}

// A description list of [term, value] pairs, values left out when absent.
export function fields(pairs) {
  return h(
    "dl",
    { class: "fields" },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([term, value]) => h("div", null, h("dt", null, term), h("dd", null, value))),
  );
}

// A labelled form control: the label's `for` names the control, which gets an id.
export function field(label, control, hint) {
  const id = control.id || uid("field");
  control.id = id;
  let hintNode = null;
  if (hint) {
    const hintId = `${id}-hint`;
    hintNode = h("p", { class: "hint", id: hintId }, hint);
    control.setAttribute("aria-describedby", hintId);
  }
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintNode);
}

// A select of [value, text] options with `selected` chosen.
export function select(options, selected, attributes) {
  return h(
    "select",
    attributes,
    options.map(([value, text]) => h("option", { value, selected: value === selected }, text)),
  );
}
