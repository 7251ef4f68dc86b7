// congkhai edit, the admin page's own part (no build step: Decap exposes window.h and
// window.createClass):
// - widgets for dates, times and months typed as a clerk types them (3/12/2026, 7h30,
//   12/2026), saved exactly as congkhai reads them (2026-12-03, 07:30, 2026-12), whatever the
//   browser's language; Decap's own date widget saves a typed 03/12/2026 as 1906-03-12;
// - Decap's Vietnamese words completed, a save called "Lưu" (publishing is congkhai publish);
// - a bar at the bottom (its height kept free in the page, never over the list) that, after
//   every save, shows the problems and warnings of `congkhai check`, each a link to its field,
//   a link to the record's real page in the preview, and the "Lưu vào kho (commit)" button;
// - fewer steps: the local backend's login (no account) is done without a click, and Ctrl+S
//   saves the record being edited ("Lưu" > "Lưu ngay"), as in Word.
(function () {
  "use strict";
  var CMS = window.CMS;
  var h = window.h;

  // --- values typed as a clerk types them -------------------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clean(text) {
    return String(text == null ? "" : text).trim().replace(/^["'“”]+|["'“”]+$/g, "").trim();
  }
  function parseDate(text) {
    var t = clean(text), m, y, mo, d;
    if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) { y = +m[1]; mo = +m[2]; d = +m[3]; }
    else if ((m = /^(\d{1,2})\s*[\/.\-]\s*(\d{1,2})\s*[\/.\-]\s*(\d{4})$/.exec(t))) { d = +m[1]; mo = +m[2]; y = +m[3]; }
    else return null;
    if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
    return y + "-" + pad(mo) + "-" + pad(d);
  }
  function parseTime(text) {
    var m = /^(\d{1,2})\s*(?:[:hHgG.]|giờ)\s*(\d{2})?\s*(?:phút)?$/.exec(clean(text)) || /^(\d{1,2})()$/.exec(clean(text));
    if (!m) return null;
    var hour = +m[1], minute = m[2] ? +m[2] : 0;
    if (hour > 23 || minute > 59) return null;
    return pad(hour) + ":" + pad(minute);
  }
  function parseMonth(text) {
    var t = clean(text).replace(/^tháng\s*/i, ""), m, y, mo;
    if ((m = /^(\d{4})-(\d{1,2})$/.exec(t))) { y = +m[1]; mo = +m[2]; }
    else if ((m = /^(\d{1,2})\s*[\/.\-]\s*(\d{4})$/.exec(t))) { mo = +m[1]; y = +m[2]; }
    else return null;
    return mo >= 1 && mo <= 12 ? y + "-" + pad(mo) : null;
  }
  var KINDS = {
    date: {
      parse: parseDate,
      show: function (v) { var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v || ""); return m ? m[3] + "/" + m[2] + "/" + m[1] : v || ""; },
      placeholder: "ngày/tháng/năm, ví dụ 03/12/2026",
      wrong: "không phải một ngày: gõ ngày/tháng/năm, ví dụ 3/12/2026 hoặc 03/12/2026",
    },
    time: {
      parse: parseTime,
      show: function (v) { return v || ""; },
      placeholder: "giờ:phút, ví dụ 7:30",
      wrong: "không phải một giờ: gõ ví dụ 7:30, 7h30 hoặc 07:30",
    },
    month: {
      parse: parseMonth,
      show: function (v) { var m = /^(\d{4})-(\d{2})$/.exec(v || ""); return m ? m[2] + "/" + m[1] : v || ""; },
      placeholder: "tháng/năm, ví dụ 12/2026",
      wrong: "không phải một tháng: gõ tháng/năm, ví dụ 12/2026",
    },
  };
  window.congkhaiParse = { date: parseDate, time: parseTime, month: parseMonth };

  function control(kind) {
    var spec = KINDS[kind];
    return window.createClass({
      getInitialState: function () { return { text: spec.show(this.props.value) }; },
      componentDidUpdate: function (previous) {
        // a value set from outside (an entry loaded, "duplicate"): shown as a clerk reads it
        if (previous.value !== this.props.value && this.props.value !== this.sent) {
          this.setState({ text: spec.show(this.props.value) });
        }
      },
      isValid: function () {
        var value = this.props.value;
        if (value == null || value === "" || spec.parse(String(value)) === value) return true;
        var label = this.props.field.get("label");
        return { error: { type: "CUSTOM", message: label + ": «" + this.state.text + "» " + spec.wrong + "." } };
      },
      set: function (text) {
        var parsed = spec.parse(text);
        this.sent = parsed || clean(text);
        this.setState({ text: text });
        this.props.onChange(this.sent);
      },
      blur: function () {
        if (spec.parse(this.state.text)) this.setState({ text: spec.show(spec.parse(this.state.text)) });
        this.props.setInactiveStyle && this.props.setInactiveStyle();
      },
      pick: function () {
        var input = this.picker;
        if (!input) return;
        try { input.showPicker(); } catch (e) { input.focus(); }
      },
      render: function () {
        var self = this;
        var label = this.props.field.get("label");
        var children = [
          h("input", {
            key: "text",
            type: "text",
            id: this.props.forID,
            className: this.props.classNameWrapper,
            style: { flex: "1 1 auto", minWidth: 0 },
            value: this.state.text,
            placeholder: spec.placeholder,
            autoComplete: "off",
            spellCheck: false,
            onChange: function (e) { self.set(e.target.value); },
            onFocus: this.props.setActiveStyle,
            onBlur: this.blur,
          }),
        ];
        if (kind === "date") {
          var iso = spec.parse(this.state.text) || "";
          children.push(
            h("input", {
              key: "picker",
              type: "date",
              tabIndex: -1,
              "aria-hidden": "true",
              ref: function (node) { self.picker = node; },
              value: iso,
              // the native picker's value is always yyyy-mm-dd, whatever the browser's language
              onChange: function (e) { if (parseDate(e.target.value)) self.set(spec.show(e.target.value)); },
              style: { position: "absolute", right: 0, bottom: 0, width: "1px", height: "1px", opacity: 0, border: 0, padding: 0 },
            }),
            h(
              "button",
              {
                key: "button",
                type: "button",
                className: "congkhai-pick",
                "aria-label": "Chọn " + label + " trên lịch",
                title: "Chọn ngày trên lịch",
                onClick: this.pick,
                style: { flex: "none", marginLeft: "8px", padding: "0 12px", font: "inherit", cursor: "pointer", borderRadius: "5px", border: "2px solid #dfdfe3", background: "#fff" },
              },
              "Lịch…"
            )
          );
        }
        return h("div", { style: { display: "flex", alignItems: "stretch", position: "relative" } }, children);
      },
    });
  }
  function preview(kind) {
    return window.createClass({
      render: function () { return h("p", null, KINDS[kind].show(this.props.value)); },
    });
  }
  if (CMS && h && window.createClass) {
    ["date", "time", "month"].forEach(function (kind) {
      CMS.registerWidget("ck-" + kind, control(kind), preview(kind));
    });
  }

  // --- Decap's words -----------------------------------------------------------------------
  var PHRASES = {
    editor: {
      editor: {
        onPublishingWithUnsavedChanges: "Bạn có thay đổi chưa lưu, hãy lưu trước.",
        onPublishing: "Lưu bản ghi này?",
        onDeleteWithUnsavedChanges:
          "Xoá bản ghi này, cả những thay đổi chưa lưu? Bản ghi đã công bố thì không xoá được, chỉ thu hồi được (mục Thu hồi).",
        onDeletePublishedEntry: "Xoá bản ghi này? Bản ghi đã công bố thì không xoá được, chỉ thu hồi được (mục Thu hồi).",
      },
      editorToolbar: {
        publishing: "Đang lưu…", publish: "Lưu", published: "Đã lưu", publishNow: "Lưu ngay",
        publishAndCreateNew: "Lưu và tạo bản ghi mới", publishAndDuplicate: "Lưu và sao chép",
        deletePublishedEntry: "Xoá bản ghi này", deleteEntry: "Xoá bản ghi này",
        unsavedChanges: "Có thay đổi chưa lưu", changesSaved: "Không có thay đổi chưa lưu",
      },
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
    ui: {
      toast: {
        entryPublished: "Đã lưu bản ghi (chưa công bố). Kết quả kiểm tra ở thanh phía dưới.",
        entrySaved: "Đã lưu bản ghi.",
        onFailToPersist: "Không lưu được: %{details}",
        onFailToDelete: "Không xoá được: %{details}",
        onFailToPublishEntry: "Không lưu được: %{details}",
      },
      settingsDropdown: { account: "Tùy chọn tài khoản" },
    },
    collection: {
      collectionTop: { viewAs: "Xem dạng", viewAsList: "Xem dạng danh sách", viewAsGrid: "Xem dạng lưới", groupBy: "Nhóm theo" },
      groups: { other: "Khác", negateLabel: "Không phải %{label}" },
    },
    mediaLibrary: {
      mediaLibraryCard: {
        copy: "Sao chép", copyUrl: "Sao chép địa chỉ URL", copyPath: "Sao chép đường dẫn", copyName: "Sao chép tên",
        copied: "Đã sao chép",
      },
      mediaLibraryModal: { close: "Đóng" },
    },
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
  if (CMS && CMS.getLocale && CMS.registerLocale) {
    CMS.registerLocale("vi", merge(merge({}, CMS.getLocale("vi") || {}), PHRASES));
  }

  // --- the bar ------------------------------------------------------------------------------
  var bar = document.createElement("div");
  bar.id = "congkhai-check";
  bar.setAttribute("role", "region");
  bar.setAttribute("aria-label", "Kiểm tra và lưu vào kho");
  bar.style.cssText =
    "position:fixed;left:0;right:0;bottom:0;z-index:100000;max-height:35vh;overflow:auto;box-sizing:border-box;" +
    "padding:8px 16px;font:15px/1.5 system-ui,sans-serif;background:#eef1f5;color:#1a1a1a;" +
    "border-top:1px solid #c5ccd6;display:flex;gap:12px;align-items:flex-start";
  var status = document.createElement("div");
  status.id = "congkhai-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.style.cssText = "flex:1";
  status.textContent = "Đang kiểm tra…";
  var actions = document.createElement("div");
  actions.style.cssText = "flex:none;display:flex;gap:8px;align-items:center;flex-wrap:wrap;justify-content:flex-end";
  var pageLink = document.createElement("a");
  pageLink.id = "congkhai-page";
  pageLink.textContent = "Xem trang thật";
  pageLink.target = "_blank";
  pageLink.rel = "noopener";
  pageLink.title = "Mở trang của bản ghi này như trang web sẽ hiển thị (bản xem trước trên máy này)";
  pageLink.hidden = true;
  pageLink.style.cssText = "padding:6px 12px;color:#0b4f9c;font-weight:600";
  var commitButton = document.createElement("button");
  commitButton.id = "congkhai-commit";
  commitButton.type = "button";
  commitButton.textContent = "Lưu vào kho (commit)";
  commitButton.title = "Kiểm tra mọi hồ sơ như congkhai check rồi ghi một commit git; còn lỗi thì không ghi gì";
  commitButton.style.cssText = "flex:none;padding:6px 12px;font:inherit;cursor:pointer";
  actions.appendChild(pageLink);
  actions.appendChild(commitButton);
  bar.appendChild(status);
  bar.appendChild(actions);

  // The bar's height is kept free at the bottom of the page: the body's padding (the lists
  // scroll in the page) and Decap's full-height panes, shortened by the same height.
  var room = document.createElement("style");
  function keepRoom() {
    var height = bar.offsetHeight;
    room.textContent =
      "body{padding-bottom:" + height + "px !important}" +
      "#nc-root{--congkhai-bar:" + height + "px}";
    document.querySelectorAll("[data-congkhai-shortened]").forEach(function (node) {
      node.style.maxHeight = "calc(100vh - " + height + "px)";
    });
    shortenPanes(height);
  }
  function shortenPanes(height) {
    // Decap's editor: panes of height 100vh less its header, scrolled inside
    var panes = document.querySelectorAll("[class*=ControlPaneContainer], [class*=PreviewPaneContainer], [class*=EditorContainer]");
    panes.forEach(function (node) {
      node.style.paddingBottom = height + "px";
      node.style.boxSizing = "border-box";
    });
  }
  function attach() {
    if (!bar.parentNode && document.body) {
      document.body.appendChild(bar);
      document.head.appendChild(room);
      if (window.ResizeObserver) new ResizeObserver(keepRoom).observe(bar);
      new MutationObserver(function () {
        shortenPanes(bar.offsetHeight);
        hideDelete();
        markSave();
        logIn();
      }).observe(document.body, { childList: true, subtree: true });
      logIn();
      keepRoom();
    }
  }
  document.addEventListener("DOMContentLoaded", attach);
  attach();

  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  function paint(kind) {
    var colours = { ok: ["#e6f4ea", "#0b3d1a"], warn: ["#fff4d6", "#4d3800"], bad: ["#fdecea", "#5f1410"] }[kind];
    bar.style.background = colours[0];
    bar.style.color = colours[1];
  }

  // --- links to a field ---------------------------------------------------------------------
  function current() {
    var m = /^#\/collections\/([^/]+)\/entries\/(.+)$/.exec(location.hash);
    return m ? { collection: decodeURIComponent(m[1]), entry: decodeURIComponent(m[2]) } : null;
  }
  function fieldElement(field) {
    // `sessions[2].date`: the second session's date control (Decap's controls have ids
    // "<name>-field-<n>"; a list's items are in order inside its own element)
    var scope = document, index = 0, found = null;
    var parts = field ? field.split(".") : [];
    for (var i = 0; i < parts.length; i++) {
      var m = /^([^\[]+)(?:\[(\d+)\])?$/.exec(parts[i]);
      if (!m) break;
      var candidates = scope.querySelectorAll('[id^="' + m[1].replace(/"/g, "") + '-field-"]');
      var node = candidates[index] || candidates[0];
      if (!node) break;
      found = node;
      scope = node.closest("[id^='" + m[1] + "-field-']") || node;
      if (scope.tagName === "INPUT" || scope.tagName === "TEXTAREA") scope = scope.parentNode.parentNode || document;
      index = m[2] ? +m[2] - 1 : 0;
    }
    return found;
  }
  function focusField(field, tries) {
    var node = fieldElement(field);
    var control = node && (node.matches("input,textarea,select,button") ? node : node.querySelector("input,textarea,select,button,[contenteditable]"));
    if (control) {
      control.scrollIntoView({ block: "center" });
      control.focus();
      return;
    }
    if (tries > 0) setTimeout(function () { focusField(field, tries - 1); }, 250);
  }
  function problemLink(p) {
    var shown = p.label || p.field || p.path;
    if (!p.collection) return text("span", shown);
    var link = text("a", shown);
    link.href = "#/collections/" + p.collection + "/entries/" + p.entry;
    link.style.cssText = "color:inherit;text-decoration:underline;font-weight:600";
    link.title = "Mở bản ghi và đến trường này";
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var here = current();
      if (!here || here.collection !== p.collection || here.entry !== p.entry) location.hash = link.getAttribute("href");
      focusField(p.field, 40);
    });
    return link;
  }
  function problemList(problems) {
    var list = document.createElement("ul");
    list.style.margin = "4px 0";
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.appendChild(problemLink(p));
      var where = p.path ? p.path + (p.line ? " (dòng " + p.line + ")" : "") : "";
      item.appendChild(text("span", [p.label ? " [" + p.field + "]" : "", where, p.message].filter(Boolean).join(" — ")));
      list.appendChild(item);
    });
    return list;
  }

  function show(result) {
    status.textContent = "";
    var warnings = result.warnings || [];
    paint(!result.ok ? "bad" : warnings.length ? "warn" : "ok");
    if (result.ok) {
      status.appendChild(text("strong", "Đã kiểm tra: không có lỗi. Trang xem trước đã được dựng lại."));
    } else {
      status.appendChild(text("strong", "Có " + result.problems.length + " lỗi cần sửa (chưa thể lưu vào kho):"));
      status.appendChild(problemList(result.problems));
    }
    if (warnings.length) {
      status.appendChild(text("strong", " Có " + warnings.length + " cảnh báo (không chặn, nhưng hãy xem lại trước khi công bố):"));
      status.appendChild(problemList(warnings));
    }
    updatePage();
  }

  function showCommit(result) {
    status.textContent = "";
    paint(result.ok ? "ok" : "bad");
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

  // --- the record's real page, and no delete button for a published record ------------------
  var published = false;
  function updatePage() {
    var here = current();
    if (!here) {
      pageLink.hidden = true;
      published = false;
      return;
    }
    var query = "collection=" + encodeURIComponent(here.collection) + "&entry=" + encodeURIComponent(here.entry);
    fetch("/admin/api/page?" + query, { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        pageLink.hidden = !answer.url;
        if (answer.url) pageLink.href = answer.url;
        published = !!answer.published;
        hideDelete();
      })
      .catch(function () { pageLink.hidden = true; });
  }
  function hideDelete() {
    if (!published || !current()) return;
    document.querySelectorAll("button").forEach(function (button) {
      if (button.textContent.trim() === PHRASES.editor.editorToolbar.deleteEntry && !button.hidden) {
        button.hidden = true;
        button.title = "Bản ghi đã công bố: không xoá được, chỉ thu hồi (mục Thu hồi)";
      }
    });
  }
  window.addEventListener("hashchange", updatePage);

  // --- fewer steps ----------------------------------------------------------------------------
  function byText(selector, words) {
    return Array.prototype.find.call(document.querySelectorAll(selector), function (node) {
      return node.textContent.trim() === words && !node.hidden;
    });
  }
  // congkhai edit's backend (decap-server on 127.0.0.1) has no account: its login page is a
  // single button, pressed here once per page load (after a logout it stays, to be pressed)
  var loggedIn = false;
  function logIn() {
    if (loggedIn) return;
    var button = byText("button", "Đăng nhập");
    if (button) {
      loggedIn = true;
      button.click();
    }
  }
  // Ctrl+S (⌘S): "Lưu" then "Lưu ngay", on the record being edited
  var SAVE = PHRASES.editor.editorToolbar;
  function markSave() {
    var button = byText("[role=button], button", SAVE.publish);
    if (button && !button.title) button.title = "Lưu bản ghi (Ctrl+S)";
  }
  function saveNow(tries) {
    var item = byText("[role=menuitem]", SAVE.publishNow);
    if (item) {
      item.click();
      return;
    }
    if (tries === 20) {
      var button = byText("[role=button], button", SAVE.publish);
      if (!button) return;  // nothing to save ("Đã lưu")
      button.click();
    }
    if (tries > 0) setTimeout(function () { saveNow(tries - 1); }, 50);
  }
  document.addEventListener(
    "keydown",
    function (event) {
      var key = (event.key || "").toLowerCase();
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey || key !== "s") return;
      if (!/^#\/collections\/[^/]+\/(new|entries\/)/.test(location.hash)) return;
      event.preventDefault();  // not the browser's "save page as"
      saveNow(20);
    },
    true
  );

  commitButton.addEventListener("click", commit);
  window.congkhaiCheck = check;
  // postSave follows every save (Decap also sends postPublish for the same save outside the
  // editorial workflow, which this editor does not use: listening to both checked twice)
  if (CMS) {
    CMS.registerEventListener({ name: "postSave", handler: function () { check(); } });
  }
  // the state when the editor opens
  check();
})();
