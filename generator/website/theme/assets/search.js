/* congkhai: site search, the client of the index written by generator/website/search.py.
 *
 * Loaded by the search page only (tim-kiem/). It reads ?q= from the address, folds it
 * like the index (lowercase, no diacritics, đ -> d, syllables and numbers), downloads the
 * manifest, then only the shards holding the query's words and only the display chunks of
 * the results shown. Every URL is relative to the page, so the site works under any base
 * path, and nothing is requested from another host. Each word weighs by its rarity (BM25's
 * idf: "khu công nghiệp" is on most pages, "ngập" on few) times the weight of the best field
 * holding it; a result lacking some words is scaled down by the part of the query's weight it
 * matched; the last word also matches as a prefix ("tuyen dun"); ties go to the newest record.
 * A word found only in an attachment (its title or its text, OCR included) makes the result
 * say so and link the file.
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
  var fallback = document.getElementById("ck-search-fallback"); // the category list, replaced by results
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

  var ROMAN = { i: "1", ii: "2", iii: "3", iv: "4" };

  function number(piece) {
    return /^[0-9]+$/.test(piece) ? piece.replace(/^0+/, "") || "0" : piece;
  }

  /* [token, role] of a text, as generator/website/search.py's _pieces: role "m"/"y" for the
   * month and year of d/m/yyyy or m/yyyy, "code" for BQL-LD-01 joined, else "". */
  function pieces(text) {
    var out = [];
    (fold(text).match(/[a-z0-9]+(?:[\/:.\-][a-z0-9]+)*/g) || []).forEach(function (chunk) {
      var parts = chunk.split(/[\/:.\-]/);
      var seps = chunk.replace(/[a-z0-9]/g, "");
      var digits = parts.every(function (p) {
        return /^[0-9]+$/.test(p);
      });
      if (
        /^\/+$/.test(seps) &&
        (parts.length === 2 || parts.length === 3) &&
        digits &&
        parts[parts.length - 1].length === 4 &&
        +parts[parts.length - 2] >= 1 &&
        +parts[parts.length - 2] <= 12 &&
        (parts.length === 2 || (+parts[0] >= 1 && +parts[0] <= 31))
      ) {
        if (parts.length === 3) out.push([number(parts[0]), ""]);
        out.push([number(parts[parts.length - 2]), "m"], [parts[parts.length - 1], "y"]);
        return;
      }
      if (/^-+$/.test(seps) && /[a-z]/.test(chunk) && /[0-9]/.test(chunk)) out.push([chunk.replace(/-/g, ""), "code"]);
      parts.forEach(function (part) {
        (part.match(/[a-z]+|[0-9]+/g) || []).forEach(function (p) {
          out.push([number(p), ""]);
        });
      });
    });
    return out;
  }

  /* A query's tokens, as generator/website/search.py's analyse(text, query=True): synonym
   * phrases become their group's token, months, years and quarters their compounds. */
  function analyse(text, phrases) {
    var items = pieces(text);
    var plain = items.map(function (it) {
      return it[1] === "" ? it[0] : "";
    });
    var longest = 0;
    Object.keys(phrases).forEach(function (p) {
      longest = Math.max(longest, p.split(" ").length);
    });
    var grouped = [];
    var i = 0;
    while (i < items.length) {
      var found = null;
      if (plain[i]) {
        for (var n = Math.min(longest, items.length - i); n > 0 && !found; n--) {
          var phrase = plain.slice(i, i + n).join(" ");
          if (Object.prototype.hasOwnProperty.call(phrases, phrase) && plain.slice(i, i + n).indexOf("") < 0) {
            found = [phrases[phrase], n];
          }
        }
      }
      if (found) {
        grouped.push([found[0], "group"]);
        i += found[1];
      } else grouped.push(items[i++]);
    }
    var out = [];
    for (i = 0; i < grouped.length; i++) {
      var token = grouped[i][0];
      var role = grouped[i][1];
      if (role === "m" || role === "y") {
        var word = role === "m" ? "thang" : "nam";
        var last = out[out.length - 1];
        if (last && last[0] === word && last[1] === "") out.pop();
        out.push([word + token, "c"]);
        continue;
      }
      var after = grouped[i + 1];
      var compound = null;
      if (role === "" && after && after[1] === "") {
        var next = after[0];
        if (token === "thang" && /^[0-9]+$/.test(next) && +next >= 1 && +next <= 12) compound = "thang" + next;
        else if (token === "nam" && /^[0-9]{4}$/.test(next)) compound = "nam" + next;
        else if ((token === "quy" || token === "qui") && (ROMAN[next] || /^[1-4]$/.test(next))) {
          compound = "quy" + (ROMAN[next] || next);
        }
      }
      if (compound) {
        out.push([compound, "c"]);
        i++;
        continue;
      }
      out.push([token, role]);
    }
    return out;
  }

  function tokens(text) {
    return pieces(text).map(function (it) {
      return it[0];
    });
  }

  /* The query's terms: distinct tokens; the last one is a prefix when it is a plain word
   * of two letters or more and the query does not end with a space. Plain words of
   * typoMin letters or more forgive one typo when nothing matches them exactly. */
  function terms(query, m) {
    var seen = {};
    var out = [];
    analyse(query, m.y || {}).forEach(function (it) {
      if (seen[it[0]]) return;
      seen[it[0]] = true;
      var word = it[1] === "" && /^[a-z]+$/.test(it[0]);
      out.push({ token: it[0], prefix: false, typo: word && it[0].length >= m.r.typoMin, plain: word });
    });
    var last = out[out.length - 1];
    var items = analyse(query, m.y || {});
    var lastItem = items[items.length - 1];
    if (last && last.plain && lastItem && lastItem[0] === last.token && last.token.length >= 2 && !/\s$/.test(query)) {
      last.prefix = true;
    }
    return out;
  }

  /* The shard key holding a token: the longest key that prefixes it. */
  function keyOf(token, keys) {
    var best = null;
    keys.forEach(function (k) {
      if (token.indexOf(k) === 0 && (best === null || k.length > best.length)) best = k;
    });
    return best;
  }

  /* Shard keys holding a term: its own, and for a prefix term also every key that
   * starts with it. */
  function shardsFor(term, keys) {
    var out = [];
    if (term.prefix) {
      keys.forEach(function (k) {
        if (k.length > term.token.length && k.indexOf(term.token) === 0) out.push(k);
      });
    }
    var best = keyOf(term.token, keys);
    if (best !== null) out.push(best);
    return out;
  }

  /* Keys of the shards where a typo of the first letters would put the right word:
   * the word without one of its first three letters, or with two of them swapped. */
  function typoShards(term, keys) {
    var w = term.token;
    var variants = [w.slice(1), w[0] + w.slice(2), w.slice(0, 2) + w.slice(3), w[1] + w[0] + w.slice(2)];
    variants.push(w[0] + w[2] + w[1] + w.slice(3));
    var out = [];
    variants.forEach(function (v) {
      var k = keyOf(v, keys);
      if (k !== null && out.indexOf(k) < 0) out.push(k);
    });
    return out;
  }

  function shardUrl(m, key) {
    return base + "t-" + (key || "_") + "." + m.s[key] + ".json";
  }

  function chunkUrl(m, n) {
    return base + "d-" + n + "." + m.d[n] + ".json";
  }

  function fetchShards(m, keys) {
    return Promise.all(
      keys.map(function (k) {
        return get(shardUrl(m, k));
      }),
    );
  }

  /* A posting's weight: its best field's, plus a little for every other field holding
   * the word (a page about it mentions it in several places), saturated as BM25 does a
   * term's frequency: (k1 + 1) x / (k1 + x), so that a word in a title weighs about three
   * words in a body, not ten. */
  function weight(mask, w, rest, k1) {
    var x = fieldWeight(mask, w, rest);
    return k1 ? ((k1 + 1) * x) / (k1 + x) : x;
  }

  function fieldWeight(mask, w, rest) {
    var best = 0;
    var sum = 0;
    for (var bit = 0; bit < w.length; bit++) {
      if (!(mask & (1 << bit))) continue;
      sum += w[bit];
      if (w[bit] > best) best = w[bit];
    }
    return best + rest * (sum - best);
  }

  /* One edit apart (insert, delete, substitute or swap two neighbours)? */
  function near(a, b) {
    if (a === b || Math.abs(a.length - b.length) > 1) return false;
    var i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    if (a.length === b.length) {
      return (
        a.slice(i + 1) === b.slice(i + 1) ||
        (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2))
      );
    }
    return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }

  var ATTACHMENT = 1 << 9; // generator/website/search.py: ATTACHMENT, ATTACHMENT_SHIFT
  var FIELDS = (1 << 9) - 1 - 128; // every field bit but the attachments' and WITHDRAWN

  /* doc id -> {score, title, withdrawn, att} for one term, from the shards given;
   * accept(tok) gives the factor of a shard token (0: no match). att: the number of the
   * attachment holding the word when nothing else of the page does (0 otherwise). */
  function collect(shards, m, accept) {
    var hits = new Map();
    shards.forEach(function (shard) {
      Object.keys(shard).forEach(function (tok) {
        var factor = accept(tok);
        if (!factor) return;
        var flat = shard[tok];
        var id = 0;
        for (var i = 0; i < flat.length; i += 2) {
          id += flat[i];
          var mask = flat[i + 1];
          var score = weight(mask, m.r.w, m.r.rest, m.r.k1) * factor;
          var att = mask & FIELDS ? 0 : mask & ATTACHMENT ? Math.floor(mask / 1024) : 0;
          var hit = hits.get(id);
          if (!hit) hits.set(id, { score: score, title: (mask & 1) !== 0, withdrawn: (mask & 128) !== 0, att: att });
          else {
            if (score > hit.score) {
              hit.score = score;
              hit.att = att;
            }
            hit.title = hit.title || (mask & 1) !== 0;
          }
        }
      });
    });
    return hits;
  }

  function exact(term, m) {
    return function (tok) {
      if (tok === term.token) return 1;
      return term.prefix && tok.indexOf(term.token) === 0 ? m.r.prefix : 0;
    };
  }

  function typo(term, m) {
    return function (tok) {
      return /^[a-z]+$/.test(tok) && near(term.token, tok) ? m.r.typo : 0;
    };
  }

  /* The hits of one term: exact (or prefix) matches; when there are none and the word
   * is long enough, the words one typo away, in its shards and those of its variants. */
  function matchTerm(term, m, keys) {
    var own = shardsFor(term, keys);
    return fetchShards(m, own).then(function (shards) {
      var hits = collect(shards, m, exact(term, m));
      if (hits.size || !term.typo) return hits;
      var more = typoShards(term, keys).filter(function (k) {
        return own.indexOf(k) < 0;
      });
      return fetchShards(m, more).then(function (extra) {
        return collect(shards.concat(extra), m, typo(term, m));
      });
    });
  }

  /* A word's rarity (BM25's idf) among n documents, df of which hold it. */
  function idf(n, df) {
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /* [[doc id, words matched, score, attachment], ...]: best score first, then the newest
   * (lowest id). A word weighs its idf times its field weight; a result lacking words is
   * scaled by (part of the query's idf it matched) ^ r.missing. */
  function rank(query, m) {
    var ts = terms(query, m);
    if (!ts.length) return Promise.resolve([]);
    var keys = Object.keys(m.s);
    return Promise.all(
      ts.map(function (t) {
        return matchTerm(t, m, keys);
      }),
    ).then(function (maps) {
      var docs = new Map();
      var weights = maps.map(function (hits) {
        return m.r.idf ? idf(m.n, hits.size) : 1;
      });
      var total = weights.reduce(function (a, b) {
        return a + b;
      }, 0);
      maps.forEach(function (hits, t) {
        var w = weights[t];
        hits.forEach(function (hit, id) {
          var d = docs.get(id);
          if (!d) docs.set(id, (d = { count: 0, score: 0, titles: 0, matched: 0, att: 0, withdrawn: hit.withdrawn }));
          d.count++;
          d.score += w * hit.score;
          d.matched += w;
          if (hit.title) d.titles++;
          if (hit.att && !d.att) d.att = hit.att;
        });
      });
      var mean = ts.length ? total / ts.length : 1;
      var out = [];
      docs.forEach(function (d, id) {
        var score = d.score;
        if (d.titles === ts.length) score += m.r.allTitle * mean;
        var length = m.l ? m.l.charCodeAt(id) - 97 : 0; // "b" = 1 … "z" = 25 words
        if (length > 0) score += (m.r.cover * mean * Math.min(d.titles, length)) / length;
        if (total > 0 && d.matched < total) score *= Math.pow(d.matched / total, m.r.missing);
        if (d.withdrawn) score *= m.r.withdrawn;
        out.push([id, d.count, score, d.att]);
      });
      out.sort(function (a, b) {
        return b[2] - a[2] || a[0] - b[0];
      });
      return out;
    });
  }

  function say(text) {
    status.textContent = text;
  }

  function count(n) {
    return n.toLocaleString("vi-VN");
  }

  /* "Tìm thấy trong tệp đính kèm: <title>", linking the file (and its text version:
   * generator/core/paths.py attachment_text_page). doc.a: [title, file name, 1 if it has
   * a text page]. */
  function foundIn(doc, number) {
    var given = doc.a && doc.a[number - 1];
    if (!given) return null;
    var a = [given[0], doc.u + given[1], given[2] ? doc.u + "noi-dung-" + given[1].replace(/\./g, "-") + "/" : ""];
    var p = document.createElement("span");
    p.className = "ck-result__attachment";
    p.appendChild(document.createTextNode("Tìm thấy trong tệp đính kèm: "));
    var link = document.createElement("a");
    link.href = root + a[1];
    link.textContent = a[0];
    p.appendChild(link);
    if (a[2]) {
      p.appendChild(document.createTextNode(" ("));
      var text = document.createElement("a");
      text.href = root + a[2];
      text.textContent = "bản văn bản";
      p.appendChild(text);
      p.appendChild(document.createTextNode(")"));
    }
    return p;
  }

  function item(doc, m, att) {
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
    var inFile = att ? foundIn(doc, att) : null;
    if (inFile) li.appendChild(inFile);
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
      if (fallback) fallback.hidden = true; // in the same frame as the results: nothing moves
      slice.forEach(function (r) {
        var n = Math.floor(r[0] / m.chunk);
        var li = item(byChunk[n][r[0] - n * m.chunk], m, r[3]);
        list.appendChild(li);
        first = first || li;
      });
      state.shown += slice.length;
      var left = state.ranked.length - state.shown;
      moreBox.hidden = left <= 0;
      moreButton.textContent = "Xem thêm kết quả (còn " + count(left) + ")";
      if (focusFirst && first) first.querySelector("a").focus();
    });
  }

  function run(query) {
    var seq = ++current;
    list.textContent = "";
    moreBox.hidden = true;
    state = null;
    if (fallback && !tokens(query || "").length) fallback.hidden = false;
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
            if (seq === current) say("Tìm thấy " + count(ranked.length) + " kết quả cho " + shown + ".");
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
  window.congkhaiSearch = { analyse: analyse }; // for the tests: the same words as the index
  box.classList.add("ck-search--ready");
  fromAddress();
})();
