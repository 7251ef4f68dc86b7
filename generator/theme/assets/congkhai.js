/* congkhai: small page helpers, no dependencies.
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
  if (document.readyState === "complete") {
    markScrollable();
  } else {
    window.addEventListener("load", markScrollable);
  }
  window.addEventListener("resize", markScrollable);
})();
