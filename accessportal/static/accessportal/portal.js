// Small progressive enhancements; every page works without them.
document.addEventListener("change", (event) => {
  const all = event.target.closest("#select-all");
  if (!all) return;
  document.querySelectorAll("input.bulk-select").forEach((box) => { box.checked = all.checked; });
});
