/* congkhai: site search, the client of the index written by generator/search.py.
 *
 * Loaded by the search page only (tim-kiem/). It reads ?q= from the address, folds it
 * like the index (lowercase, no diacritics, đ -> d, syllables and numbers), downloads the
 * manifest, then only the shards holding the query's words and only the display chunks of
 * the results shown. Every URL is relative to the page, so the site works under any base
 * path, and nothing is requested from another host. All words must match; the last word
 * also matches as a prefix ("tuyen dun"); ties go to the newest record.
 */
(function () {
  "use strict";
  var box = document.getElementById("ck-search");
  if (!box || !window.fetch || !String.prototype.normalize) return;
  var form = box.querySelector("form");
  var input = document.getElementById("ck-search-q");
  var status = document.getElementById("ck-search-status");
  var list = document.getElementById("ck-search-results");
  var moreBox = box.querySelector(".ck-search__more");
  var moreButton = document.getElementById("ck-search-more");
  var root = box.getAttribute("data-root");
  var manifestUrl = box.getAttribute("data-index");
  var base = manifestUrl.slice(0, manifestUrl.lastIndexOf("/") + 1);
  var baseTitle = document.title;
  var PAGE = 20;
  var cache = {};
  var current = 0; // sequence number of the query being shown
  var state = null; // {query, ranked, shown, manifest}

  function get(url) {
    if (!cache[url]) {
      cache[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
      cache[url].catch(function () {
        delete cache[url];
      });
    }
    return cache[url];
  }

  function fold(text) {
    return text.toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/\p{M}/gu, "");
  }

  function tokens(text) {
    return (fold(text).match(/[a-z0-9]+/g) || []).map(function (t) {
      return /^[0-9]+$/.test(t) ? t.replace(/^0+/, "") || "0" : t;
    });
  }

  /* The query's terms: distinct tokens; the last one is a prefix unless the query ends
   * with a space, is a number, or is a single letter. */
  function terms(query) {
    var seen = {};
    var out = [];
    tokens(query).forEach(function (t) {
      if (!seen[t]) out.push({ token: t, prefix: false });
      seen[t] = true;
    });
    var last = out[out.length - 1];
    if (last && /[a-z]/.test(last.token) && last.token.length >= 2 && !/\s$/.test(query)) {
      last.prefix = true;
    }
    return out;
  }

  /* Shard keys holding a term: the longest key that prefixes it, and for a prefix term
   * also every key that starts with it. */
  function shardsFor(term, keys) {
    var best = null;
    var out = [];
    keys.forEach(function (k) {
      if (term.token.indexOf(k) === 0 && (best === null || k.length > best.length)) best = k;
      if (term.prefix && k.length > term.token.length && k.indexOf(term.token) === 0) out.push(k);
    });
    if (best !== null) out.push(best);
    return out;
  }

  function shardUrl(m, key) {
    return base + "t-" + (key || "_") + "." + m.s[key] + ".json";
  }

  function chunkUrl(m, n) {
    return base + "d-" + n + "." + m.d[n] + ".json";
  }

  function weight(mask, w) {
    var sum = 0;
    for (var bit = 0; bit < w.length; bit++) if (mask & (1 << bit)) sum += w[bit];
    return sum;
  }

  /* doc id -> {score, title, withdrawn} for one term, from the shards downloaded. */
  function match(term, shards, m) {
    var hits = new Map();
    shards.forEach(function (shard) {
      Object.keys(shard).forEach(function (tok) {
        var exact = tok === term.token;
        if (!exact && !(term.prefix && tok.indexOf(term.token) === 0)) return;
        var factor = exact ? 1 : m.r.prefix;
        var flat = shard[tok];
        var id = 0;
        for (var i = 0; i < flat.length; i += 2) {
          id += flat[i];
          var mask = flat[i + 1];
          var score = weight(mask, m.r.w) * factor;
          var hit = hits.get(id);
          if (!hit) hits.set(id, { score: score, title: (mask & 1) !== 0, withdrawn: (mask & 128) !== 0 });
          else {
            hit.score = Math.max(hit.score, score);
            hit.title = hit.title || (mask & 1) !== 0;
          }
        }
      });
    });
    return hits;
  }

  /* [[doc id, score], ...], best first, newest (lowest id) first on ties. */
  function rank(query, m) {
    var ts = terms(query);
    if (!ts.length) return Promise.resolve([]);
    var keys = Object.keys(m.s);
    var needed = ts.map(function (t) {
      return shardsFor(t, keys);
    });
    var pending = needed.map(function (ks) {
      return Promise.all(
        ks.map(function (k) {
          return get(shardUrl(m, k));
        }),
      );
    });
    return Promise.all(pending).then(function (shardLists) {
      var maps = ts.map(function (t, i) {
        return match(t, shardLists[i], m);
      });
      maps.sort(function (a, b) {
        return a.size - b.size;
      });
      var out = [];
      maps[0].forEach(function (first, id) {
        var score = first.score;
        var allTitle = first.title;
        for (var i = 1; i < maps.length; i++) {
          var hit = maps[i].get(id);
          if (!hit) return;
          score += hit.score;
          allTitle = allTitle && hit.title;
        }
        if (allTitle) score += m.r.allTitle;
        if (first.withdrawn) score *= m.r.withdrawn;
        out.push([id, score]);
      });
      out.sort(function (a, b) {
        return b[1] - a[1] || a[0] - b[0];
      });
      return out;
    });
  }

  function say(text) {
    status.textContent = text;
  }

  function number(n) {
    return n.toLocaleString("vi-VN");
  }

  function item(doc, m) {
    var li = document.createElement("li");
    li.className = "ck-result";
    var a = document.createElement("a");
    a.className = "ck-result__title";
    a.href = root + doc.u;
    a.textContent = doc.t;
    li.appendChild(a);
    var meta = [];
    if (doc.c !== undefined) {
      var category = m.c[doc.c];
      meta.push(category[1]);
      if (doc.k && category[2][doc.k]) meta.push(category[2][doc.k]);
    } else if (doc.p) meta.push(doc.p);
    if (doc.n) meta.push("Số " + doc.n);
    if (doc.d) meta.push(doc.d);
    var info = document.createElement("span");
    info.className = "ck-result__meta";
    info.textContent = meta.join(" · ");
    if (doc.x) {
      var flag = document.createElement("strong");
      flag.textContent = "Đã thu hồi";
      info.appendChild(document.createTextNode(meta.length ? " · " : ""));
      info.appendChild(flag);
    }
    li.appendChild(info);
    if (doc.s) {
      var summary = document.createElement("span");
      summary.className = "ck-result__summary";
      summary.textContent = doc.s;
      li.appendChild(summary);
    }
    return li;
  }

  /* Show the next page of results (fetching their display chunks). */
  function showMore(seq, focusFirst) {
    var m = state.manifest;
    var slice = state.ranked.slice(state.shown, state.shown + PAGE);
    var chunks = {};
    slice.forEach(function (r) {
      chunks[Math.floor(r[0] / m.chunk)] = true;
    });
    var numbers = Object.keys(chunks);
    return Promise.all(
      numbers.map(function (n) {
        return get(chunkUrl(m, n));
      }),
    ).then(function (loaded) {
      if (seq !== current) return;
      var byChunk = {};
      numbers.forEach(function (n, i) {
        byChunk[n] = loaded[i];
      });
      var first = null;
      slice.forEach(function (r) {
        var n = Math.floor(r[0] / m.chunk);
        var li = item(byChunk[n][r[0] - n * m.chunk], m);
        list.appendChild(li);
        first = first || li;
      });
      state.shown += slice.length;
      var left = state.ranked.length - state.shown;
      moreBox.hidden = left <= 0;
      moreButton.textContent = "Xem thêm kết quả (còn " + number(left) + ")";
      if (focusFirst && first) first.querySelector("a").focus();
    });
  }

  function run(query) {
    var seq = ++current;
    list.textContent = "";
    moreBox.hidden = true;
    state = null;
    query = query || "";
    document.title = query.trim() ? query.trim() + " – " + baseTitle : baseTitle;
    if (!tokens(query).length) {
      say(query.trim() ? "Hãy nhập chữ hoặc số để tìm." : "");
      return Promise.resolve();
    }
    say("Đang tìm…");
    return get(manifestUrl)
      .then(function (m) {
        return rank(query, m).then(function (ranked) {
          if (seq !== current) return;
          state = { query: query, ranked: ranked, shown: 0, manifest: m };
          var shown = "“" + query.trim() + "”";
          if (!ranked.length) {
            say(
              "Không tìm thấy kết quả cho " +
                shown +
                ". Hãy thử từ khóa ngắn hơn, hoặc tra cứu theo chuyên mục bên dưới.",
            );
            return;
          }
          return showMore(seq, false).then(function () {
            if (seq === current) say("Tìm thấy " + number(ranked.length) + " kết quả cho " + shown + ".");
          });
        });
      })
      .catch(function () {
        if (seq === current) say("Không tải được dữ liệu tìm kiếm. Hãy kiểm tra kết nối mạng rồi thử lại.");
      });
  }

  function fromAddress() {
    var query = new URLSearchParams(location.search).get("q") || "";
    input.value = query;
    return run(query);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value;
    var url = new URL(location.href);
    url.searchParams.set("q", query);
    history.pushState(null, "", url.pathname + url.search + url.hash);
    run(query);
  });
  moreButton.addEventListener("click", function () {
    if (state) showMore(current, true);
  });
  window.addEventListener("popstate", fromAddress);
  box.classList.add("ck-search--ready");
  fromAddress();
})();
