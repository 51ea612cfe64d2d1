// Keyboard editing of a RACI grid: arrows move between cells, R/A/C/I set a letter
// (A on an R cell, or R on an A cell, gives A/R), Delete or Backspace clears. Each change
// fires the select's "change" event, which htmx sends to the server.
document.addEventListener("keydown", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.classList.contains("raci-cell")) return;
  const cell = select.closest("td");
  const row = cell && cell.parentElement;
  if (!cell || !row) return;
  const column = Array.from(row.children).indexOf(cell);
  const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  if (event.key in moves) {
    event.preventDefault();
    const [dr, dc] = moves[event.key];
    const rows = Array.from(row.parentElement.querySelectorAll("tr[data-activity]"));
    const target = rows[rows.indexOf(row) + dr];
    const next = target && target.children[column + dc];
    const nextSelect = next && next.querySelector("select.raci-cell");
    if (nextSelect) nextSelect.focus();
    return;
  }
  const key = event.key.toUpperCase();
  let value = null;
  if (["R", "A", "C", "I"].includes(key)) {
    const current = select.value;
    value = (key === "A" && current === "R") || (key === "R" && current === "A") ? "A/R" : key;
  } else if (event.key === "Delete" || event.key === "Backspace") {
    value = "";
  }
  if (value === null) return;
  event.preventDefault();
  if (select.value !== value) {
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
});
// The server answers a change with a fresh cell, which replaces the old one. If the old cell
// still had the keyboard focus when its answer came, the new one takes it over; if the user
// had already moved on to another field, the focus stays there.
let pendingFocus = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const form = event.detail.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("raci-cell-form")) return;
  const select = form.querySelector("select.raci-cell");
  pendingFocus = select && form.contains(document.activeElement) ? select.dataset.testid : null;
});
document.addEventListener("htmx:afterSettle", () => {
  if (!pendingFocus) return;
  const select = document.querySelector(`select[data-testid="${pendingFocus}"]`);
  pendingFocus = null;
  const active = document.activeElement;
  if (select && (!active || active === document.body || !active.isConnected)) select.focus();
});
