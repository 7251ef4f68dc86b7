/* congkhai: small page helpers, no dependencies; the pages work without them.
 * A table wider than a phone's screen scrolls sideways inside its own box; keyboard users
 * must be able to reach that box (WCAG 2.1.1), so each one that overflows is made
 * focusable and named. Runs after the theme has wrapped its tables. */
(function () {
  "use strict";
  // A box wider than the screen scrolls sideways: the keyboard must reach it (Tab), and a
  // screen reader must say what it is. Tables; and code blocks (the staff guide's commands),
  // which the theme's script made focusable, when the site is served without it.
  function focusableIfScrolled(selector, label) {
    var boxes = document.querySelectorAll(selector);
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", label);
      }
    }
  }
  function markScrollable() {
    focusableIfScrolled(".ck-table, .md-typeset__scrollwrap, .md-typeset table:not([class])", "Bảng (cuộn ngang để xem hết)");
    focusableIfScrolled(".md-typeset pre > code", "Đoạn lệnh (cuộn ngang để xem hết)");
  }
  // The home page lists the next few reception sessions as of the build; drop those that
  // have passed (dates in the office's time zone), so the first shown is the next one.
  function dropPassedSessions() {
    var today = todayHere();
    var sessions = document.querySelectorAll(".ck-next[data-date]");
    var left = sessions.length;
    for (var i = 0; i < sessions.length; i++) {
      if (sessions[i].getAttribute("data-date") < today) {
        sessions[i].parentNode.removeChild(sessions[i]);
        left--;
      }
    }
    var none = document.querySelector(".ck-next-none");
    if (none && sessions.length && !left) none.hidden = false;
  }
  // The ☰ control: a button the keyboard reaches, toggling the theme's drawer checkbox.
  // While the drawer is off-canvas (narrow screens) and closed, its links are inert: out of
  // the tab order and hidden from screen readers (WCAG 2.4.3). Escape closes it and gives
  // the focus back to the button.
  function drawer() {
    var toggle = document.getElementById("__drawer");
    var button = document.querySelector(".ck-drawer-button");
    var label = document.querySelector(".ck-drawer-label");
    var panel = document.querySelector(".md-sidebar--primary");
    if (!toggle || !button || !panel) return;
    panel.id = panel.id || "ck-drawer";
    button.setAttribute("aria-controls", panel.id);
    if (label) label.hidden = true;
    button.hidden = false;
    var offCanvas = window.matchMedia("(max-width: 76.1875em)");
    function sync() {
      var open = toggle.checked;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (offCanvas.matches && !open) panel.setAttribute("inert", "");
      else panel.removeAttribute("inert");
    }
    function set(open) {
      if (toggle.checked === open) return;
      toggle.checked = open;
      toggle.dispatchEvent(new Event("change", { bubbles: true }));
      sync();
    }
    button.addEventListener("click", function () {
      set(!toggle.checked);
      if (toggle.checked) {
        var first = panel.querySelector("a[href], input, button, [tabindex='0']");
        if (first) first.focus();
      }
    });
    toggle.addEventListener("change", sync);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.checked && offCanvas.matches) {
        set(false);
        button.focus();
      }
    });
    if (offCanvas.addEventListener) offCanvas.addEventListener("change", sync);
    sync();
  }
  // Tables of record bodies get their header as data-label on each cell, so that on a
  // phone they stack as label–value cards like the generated tables (congkhai.css).
  function labelCells() {
    var tables = document.querySelectorAll(".md-typeset table");
    for (var i = 0; i < tables.length; i++) {
      var heads = tables[i].querySelectorAll("thead th");
      if (!heads.length || tables[i].querySelector("td[data-label]")) continue;
      var rows = tables[i].querySelectorAll("tbody tr");
      for (var r = 0; r < rows.length; r++) {
        var cells = rows[r].children;
        for (var c = 0; c < cells.length && c < heads.length; c++) {
          cells[c].setAttribute("data-label", heads[c].textContent.trim());
        }
      }
    }
  }
  function todayHere() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());
  }
  // A recruitment notice says, as of its build day, whether applications are still taken;
  // read later, the page says it as of today (in the office's time zone).
  function applicationPeriod() {
    var notes = document.querySelectorAll(".ck-deadline[data-until]");
    var today = todayHere();
    for (var i = 0; i < notes.length; i++) {
      var until = notes[i].getAttribute("data-until");
      var closed = until < today;
      notes[i].classList.toggle("ck-deadline--closed", closed);
      if (!closed) continue;
      var state = notes[i].querySelector(".ck-deadline__state");
      if (state && state.textContent !== "Đã hết hạn nộp hồ sơ") {
        var parts = until.split("-");
        notes[i].textContent = "";
        state.textContent = "Đã hết hạn nộp hồ sơ";
        notes[i].appendChild(state);
        notes[i].appendChild(document.createTextNode(" (hạn cuối: ngày " + parts[2] + "/" + parts[1] + "/" + parts[0] + ")."));
      }
    }
  }
  // "Add the next session": the link made on the build day moves on to the next session
  // not yet passed, or goes when none is left.
  function nextSession() {
    var next = document.querySelector(".ck-calendar__next");
    if (!next) return;
    var today = todayHere();
    var each = document.querySelectorAll(".ck-calendar__each a[data-date]");
    var soonest = null;
    for (var i = 0; i < each.length; i++) {
      var day = each[i].getAttribute("data-date");
      if (day >= today && (!soonest || day < soonest.getAttribute("data-date"))) soonest = each[i];
    }
    if (soonest) next.setAttribute("href", soonest.getAttribute("href"));
    else next.parentNode.removeChild(next);
  }
  // The theme's drawer and search toggles are checkboxes; a browser that restores form
  // state (Firefox, or any browser going back to a page kept in memory) would show the page
  // with the drawer open. The theme kept them out of that with autocomplete="off", which is
  // not valid on a checkbox: they are unchecked here instead.
  function closeToggles() {
    ["__drawer", "__search"].forEach(function (id) {
      var toggle = document.getElementById(id);
      if (toggle && toggle.checked) {
        toggle.checked = false;
        toggle.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }
  // "Back to top" (the theme's navigation.top) on a site served without the theme's script
  // (which sets window.document$ when it runs): shown while the reader scrolls back up, far
  // from the top; pressed, it goes to the top and hides.
  function backToTop() {
    var button = document.querySelector(".md-top");
    if (!button || window.document$) return;
    var last = window.scrollY;
    function show(shown) {  // hidden, it stays in the layout (faded out): out of Tab's way too
      button.hidden = !shown;
      button.tabIndex = shown ? 0 : -1;
    }
    show(false);
    window.addEventListener("scroll", function () {
      var y = window.scrollY;
      show(y < last && y > 400);
      last = y;
    }, { passive: true });
    button.addEventListener("click", function () {
      show(false);
      button.blur();
      window.scrollTo({ top: 0 });
    });
  }
  closeToggles();
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) closeToggles();
  });
  drawer();
  backToTop();
  labelCells();
  applicationPeriod();
  nextSession();
  dropPassedSessions();
  if (document.readyState === "complete") {
    markScrollable();
  } else {
    window.addEventListener("load", markScrollable);
  }
  window.addEventListener("resize", markScrollable);
})();
