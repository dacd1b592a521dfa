// Sortable tables, for any page: `sortable(table)` turns each header cell of the table's
// <thead> into a button; a click sorts the rows by that column, ascending, a second click
// descending (aria-sort says which on the header). A cell sorts by its data-sort attribute
// when it has one (a time or a duration in ms), else by its text: numbers as numbers,
// durations such as "1:05" or "1:02:03" as seconds, the rest as text in the page's language.
// A header with data-sort="none" stays as it is. Rows added or replaced later (paging, a
// refresh) are kept in the chosen order.

const DURATION = /^(\d+):([0-5]\d)(?::([0-5]\d))?$/;

/** A cell's value to compare: a number when it reads as one, else its text. */
export function sortValue(cell) {
  if (!cell) return "";
  const raw = (cell.dataset.sort ?? cell.textContent).trim();
  const d = DURATION.exec(raw);
  if (d) return d[3] === undefined ? Number(d[1]) * 60 + Number(d[2]) : Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
  const n = raw.replace(/[\s%]/g, "");
  if (n !== "" && /^[-+]?\d*\.?\d+(e[-+]?\d+)?$/i.test(n)) return Number(n);
  return raw;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function compare(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (a === "" && b !== "") return 1; // empty cells last, whichever way
  if (b === "" && a !== "") return -1;
  if (typeof a === "number") return -1; // numbers before text
  if (typeof b === "number") return 1;
  return collator.compare(a, b);
}

export function sortable(table) {
  const head = table.tHead;
  if (!head || table.dataset.sortable === "1") return;
  table.dataset.sortable = "1";
  const headers = [...head.rows[0].cells];
  let column = -1;
  let direction = "ascending";

  const sort = () => {
    if (column < 0) return;
    observer.disconnect();
    for (const body of table.tBodies) {
      const rows = [...body.rows];
      const keyed = rows.map((row, index) => ({ row, index, value: sortValue(row.cells[column]) }));
      keyed.sort((x, y) => {
        const c = compare(x.value, y.value);
        return (direction === "ascending" ? c : -c) || x.index - y.index;
      });
      if (keyed.some((k, i) => k.row !== rows[i])) body.append(...keyed.map((k) => k.row));
    }
    watch();
  };
  const observer = new MutationObserver(sort);
  const watch = () => {
    observer.observe(table, { childList: true });
    for (const body of table.tBodies) observer.observe(body, { childList: true });
  };

  headers.forEach((th, index) => {
    if (th.dataset.sort === "none" || !th.textContent.trim()) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener("click", () => {
      direction = column === index && direction === "ascending" ? "descending" : "ascending";
      column = index;
      for (const other of headers) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", direction);
      sort();
    });
  });
  watch();
}
