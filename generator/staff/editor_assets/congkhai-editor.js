// congkhai edit: after every save, ask the edit server to check the project like
// `congkhai check`, and show each problem (in Vietnamese, with the field's label) in a bar at
// the bottom of the page. The bar's "Lưu vào kho (commit)" button asks the server to do what
// `congkhai commit` does: check first, commit nothing while a problem is left.
(function () {
  "use strict";
  var bar = document.createElement("div");
  bar.id = "congkhai-check";
  bar.setAttribute("role", "region");
  bar.setAttribute("aria-label", "Kiểm tra và lưu vào kho");
  bar.style.cssText =
    "position:fixed;left:0;right:0;bottom:0;z-index:100000;max-height:40vh;overflow:auto;" +
    "padding:8px 16px;font:15px/1.5 system-ui,sans-serif;background:#eef1f5;color:#1a1a1a;" +
    "border-top:1px solid #c5ccd6;display:flex;gap:12px;align-items:flex-start";
  var status = document.createElement("div");
  status.id = "congkhai-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.style.cssText = "flex:1";
  status.textContent = "Đang kiểm tra…";
  var commitButton = document.createElement("button");
  commitButton.id = "congkhai-commit";
  commitButton.type = "button";
  commitButton.textContent = "Lưu vào kho (commit)";
  commitButton.title = "Kiểm tra mọi hồ sơ như congkhai check rồi ghi một commit git; còn lỗi thì không ghi gì";
  commitButton.style.cssText = "flex:none;padding:6px 12px;font:inherit;cursor:pointer";
  bar.appendChild(status);
  bar.appendChild(commitButton);
  function attach() {
    if (!bar.parentNode && document.body) document.body.appendChild(bar);
  }
  document.addEventListener("DOMContentLoaded", attach);
  attach();

  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  function paint(ok) {
    bar.style.background = ok ? "#e6f4ea" : "#fdecea";
    bar.style.color = ok ? "#0b3d1a" : "#5f1410";
  }

  function problemList(problems) {
    var list = document.createElement("ul");
    list.style.margin = "4px 0";
    problems.forEach(function (p) {
      var where = p.path ? p.path + (p.line ? " (dòng " + p.line + ")" : "") : "";
      var field = p.label ? p.label + " [" + p.field + "]" : p.field;
      list.appendChild(text("li", [where, field, p.message].filter(Boolean).join(" — ")));
    });
    return list;
  }

  function show(result) {
    status.textContent = "";
    paint(result.ok);
    if (result.ok) {
      status.appendChild(text("strong", "Đã kiểm tra: không có lỗi. Trang xem trước đã được dựng lại."));
      return;
    }
    status.appendChild(text("strong", "Có " + result.problems.length + " lỗi cần sửa (chưa thể lưu vào kho):"));
    status.appendChild(problemList(result.problems));
  }

  function showCommit(result) {
    status.textContent = "";
    paint(result.ok);
    if (!result.ok) {
      var n = result.problems.length;
      var checked = result.problems.some(function (p) { return p.path; });
      status.appendChild(
        text("strong", checked ? "Chưa lưu vào kho: còn " + n + " lỗi cần sửa, không có gì được ghi." : "Chưa lưu vào kho:")
      );
      status.appendChild(problemList(result.problems));
      return;
    }
    if (!result.paths.length) {
      status.appendChild(text("strong", "Không có hồ sơ nào thay đổi; không có gì để lưu vào kho."));
      return;
    }
    status.appendChild(
      text("strong", "Đã lưu vào kho (commit " + result.commit + "): " + result.paths.length + " tệp.")
    );
    status.appendChild(text("div", result.subject));
    var list = document.createElement("ul");
    list.style.margin = "4px 0";
    result.paths.forEach(function (path) { list.appendChild(text("li", path)); });
    status.appendChild(list);
  }

  function failed(what) {
    return function () {
      show({ ok: false, problems: [{ path: "", line: 0, field: "", label: "", message: what + ": máy chủ congkhai edit không trả lời." }] });
    };
  }

  function check() {
    return fetch("/admin/api/check", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(show)
      .catch(failed("Không kiểm tra được"));
  }

  function commit() {
    commitButton.disabled = true;
    status.textContent = "Đang kiểm tra và lưu vào kho…";
    return fetch("/admin/api/commit", {
      method: "POST",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-Congkhai-Editor": "1" },
      body: "{}",
    })
      .then(function (response) { return response.json(); })
      .then(showCommit)
      .catch(failed("Không lưu vào kho được"))
      .then(function () { commitButton.disabled = false; });
  }

  // Decap's Vietnamese locale leaves these in English ("Add các buổi tiếp", "Expand"…):
  // filled in before the application renders (it waits for /admin/config.yml)
  var PHRASES = {
    collection: {
      collectionTop: { viewAs: "Xem dạng", viewAsList: "Xem dạng danh sách", viewAsGrid: "Xem dạng lưới", groupBy: "Nhóm theo" },
      groups: { other: "Khác", negateLabel: "Không phải %{label}" },
    },
    editor: {
      editorControl: { field: { widgetLabel: "trường %{widgetLabel}" } },
      editorInterface: { togglePreview: "Ẩn/hiện bản xem trước", toggleScrollSync: "Cuộn đồng bộ" },
      editorWidgets: {
        markdown: {
          bold: "In đậm", italic: "In nghiêng", strikethrough: "Gạch ngang", code: "Mã", link: "Liên kết",
          linkPrompt: "Nhập địa chỉ của liên kết", headings: "Đề mục", quote: "Trích dẫn",
          bulletedList: "Danh sách gạch đầu dòng", numberedList: "Danh sách đánh số", addComponent: "Thêm thành phần",
          toggleMode: { rich: "Chuyển sang văn bản định dạng", markdown: "Chuyển sang Markdown" },
        },
        file: {
          chooseUrl: "Chèn từ địa chỉ URL", chooseMultiple: "Chọn các tập tin", replaceUrl: "Thay bằng địa chỉ URL",
          promptUrl: "Nhập địa chỉ URL của tập tin", addMore: "Thêm tập tin", removeAll: "Gỡ bỏ mọi tập tin",
        },
        image: {
          chooseUrl: "Chèn từ địa chỉ URL", chooseMultiple: "Chọn các hình ảnh", replaceUrl: "Thay bằng địa chỉ URL",
          promptUrl: "Nhập địa chỉ URL của hình ảnh", addMore: "Thêm hình ảnh", removeAll: "Gỡ bỏ mọi hình ảnh",
        },
        datetime: { setToNow: "Đặt %{fieldLabel} là hôm nay" },
        list: { add: "Thêm %{item}", addType: "Thêm %{item}" },
        object: { expand: "Mở rộng", collapse: "Thu gọn" },
      },
    },
    mediaLibrary: {
      mediaLibraryCard: {
        copy: "Sao chép", copyUrl: "Sao chép địa chỉ URL", copyPath: "Sao chép đường dẫn", copyName: "Sao chép tên",
        copied: "Đã sao chép",
      },
      mediaLibraryModal: { close: "Đóng" },
    },
    ui: { settingsDropdown: { account: "Tùy chọn tài khoản" } },
  };

  function merge(into, from) {
    Object.keys(from).forEach(function (key) {
      if (typeof from[key] === "object") {
        into[key] = merge(into[key] && typeof into[key] === "object" ? into[key] : {}, from[key]);
      } else {
        into[key] = from[key];
      }
    });
    return into;
  }

  if (window.CMS && window.CMS.getLocale && window.CMS.registerLocale) {
    window.CMS.registerLocale("vi", merge(merge({}, window.CMS.getLocale("vi") || {}), PHRASES));
  }

  commitButton.addEventListener("click", commit);
  window.congkhaiCheck = check;
  // postSave follows every save (Decap also sends postPublish for the same save outside the
  // editorial workflow, which this editor does not use: listening to both checked twice)
  if (window.CMS) {
    window.CMS.registerEventListener({ name: "postSave", handler: function () { check(); } });
  }
  // the state when the editor opens
  check();
})();
