// dscraper admin: progressive enhancement only. Every form works without this file; it adds table rows,
// asks before deleting, and follows a running job. No eval, no inline handlers (the page's CSP forbids both).
"use strict";
document.documentElement.classList.add("js");

// "Delete?" before a form whose button says so.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

// A table's empty row, copied as a new row with the next index: elems[4].x_path → elems[5].x_path.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-add-row]");
  if (!button) return;
  var name = button.getAttribute("data-add-row");
  var table = document.querySelector('table[data-rows="' + name + '"]');
  var blank = table && table.querySelector("tbody tr.blank");
  if (!blank) return;
  var next = 0;
  table.querySelectorAll("tbody tr[data-row]").forEach(function (row) {
    next = Math.max(next, Number(row.getAttribute("data-row")) + 1);
  });
  var copy = blank.cloneNode(true);
  var from = name + "[" + blank.getAttribute("data-row") + "]";
  var to = name + "[" + next + "]";
  copy.setAttribute("data-row", String(next));
  copy.querySelectorAll("[name], [id], [for]").forEach(function (el) {
    ["name", "id", "for"].forEach(function (attr) {
      var value = el.getAttribute(attr);
      if (value && value.indexOf(from) !== -1) el.setAttribute(attr, value.split(from).join(to));
    });
  });
  // A copy keeps what was typed into the row it copies: back to the empty row's own defaults.
  copy.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (el) {
    if (el.type === "checkbox") el.checked = el.defaultChecked;
    else el.value = el.defaultValue;
  });
  copy.querySelectorAll("select").forEach(function (el) {
    var initial = 0;
    Array.prototype.forEach.call(el.options, function (option, i) {
      if (option.defaultSelected) initial = i;
    });
    el.selectedIndex = initial;
  });
  copy.querySelectorAll(".errors").forEach(function (el) {
    el.remove();
  });
  blank.parentNode.appendChild(copy);
  var first = copy.querySelector("select, input:not([type=hidden]), textarea");
  if (first) first.focus();
});

// A row marked for removal is greyed out until the form is saved.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.name || !/\._remove$/.test(box.name) || box.type !== "checkbox") return;
  var row = box.closest("tr");
  if (row) row.classList.toggle("removing", box.checked);
});

// A running job's panel, fetched again until the job ends; then the page reloads once to show its log.
function follow(panel) {
  var url = panel.getAttribute("data-poll");
  var wait = 1000;
  function tick() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var fresh = holder.content.querySelector("#job-live");
        if (!fresh) throw new Error("no job panel in the answer");
        panel.replaceWith(fresh);
        panel = fresh;
        wait = 1000;
        if (fresh.hasAttribute("data-poll")) setTimeout(tick, wait);
        else window.location.reload();
      })
      .catch(function () {
        wait = Math.min(wait * 2, 15000);
        setTimeout(tick, wait);
      });
  }
  setTimeout(tick, wait);
}
document.querySelectorAll("[data-poll]").forEach(follow);
