// congkhai edit: after every save, ask the edit server to check the project like
// `congkhai check`, and show each problem (in Vietnamese, with the field's label) in a banner.
(function () {
  "use strict";
  var banner = document.createElement("div");
  banner.id = "congkhai-check";
  banner.setAttribute("role", "alert");
  banner.style.cssText =
    "position:fixed;left:0;right:0;bottom:0;z-index:100000;max-height:40vh;overflow:auto;" +
    "padding:12px 16px;font:15px/1.5 system-ui,sans-serif;display:none";
  document.addEventListener("DOMContentLoaded", function () {
    document.body.appendChild(banner);
  });
  if (document.body) document.body.appendChild(banner);

  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  function show(result) {
    banner.textContent = "";
    banner.style.display = "block";
    if (result.ok) {
      banner.style.background = "#e6f4ea";
      banner.style.color = "#0b3d1a";
      banner.appendChild(text("strong", "Đã kiểm tra: không có lỗi. Trang xem trước đã được dựng lại."));
      var close = text("button", "Đóng");
      close.style.marginLeft = "1em";
      close.onclick = function () { banner.style.display = "none"; };
      banner.appendChild(close);
      return;
    }
    banner.style.background = "#fdecea";
    banner.style.color = "#5f1410";
    banner.appendChild(
      text("strong", "Có " + result.problems.length + " lỗi cần sửa (chưa thể lưu vào kho bằng congkhai commit):")
    );
    var list = document.createElement("ul");
    result.problems.forEach(function (p) {
      var where = p.path ? p.path + (p.line ? " (dòng " + p.line + ")" : "") : "";
      var field = p.label ? p.label + " [" + p.field + "]" : p.field;
      list.appendChild(text("li", [where, field, p.message].filter(Boolean).join(" — ")));
    });
    banner.appendChild(list);
  }

  function check() {
    return fetch("/admin/api/check", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(show)
      .catch(function () {
        show({ ok: false, problems: [{ path: "", line: 0, field: "", label: "", message: "Không kiểm tra được: máy chủ congkhai edit không trả lời." }] });
      });
  }

  window.congkhaiCheck = check;
  if (window.CMS) {
    window.CMS.registerEventListener({ name: "postSave", handler: function () { check(); } });
    window.CMS.registerEventListener({ name: "postPublish", handler: function () { check(); } });
  }
  // the state when the editor opens
  check();
})();
