/* congkhai: small page helpers, no dependencies; the pages work without them.
 * A table wider than a phone's screen scrolls sideways inside its own box; keyboard users
 * must be able to reach that box (WCAG 2.1.1), so each one that overflows is made
 * focusable and named. Runs after the theme has wrapped its tables. */
(function () {
  "use strict";
  function markScrollable() {
    var boxes = document.querySelectorAll(".ck-table, .md-typeset__scrollwrap, .md-typeset table:not([class])");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "Bảng (cuộn ngang để xem hết)");
      }
    }
  }
  // The home page lists the next few reception sessions as of the build; drop those that
  // have passed (dates in the office's time zone), so the first shown is the next one.
  function dropPassedSessions() {
    var today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());
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
  dropPassedSessions();
  if (document.readyState === "complete") {
    markScrollable();
  } else {
    window.addEventListener("load", markScrollable);
  }
  window.addEventListener("resize", markScrollable);
})();
