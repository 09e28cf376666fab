// compat.html's filters, kept in the URL's hash (a query is read too): impl, group, status,
// cpython=each (a column per CPython), open=GROUP,... (the clause groups opened by hand; without
// it, a filtered view opens every group that matches and an unfiltered one none).
(function () {
  var keys = ["impl", "group", "status", "cpython", "open"];
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function byId(id) { return document.getElementById(id); }
  function read() {
    var q = {}, h = (location.hash || "").replace(/^#/, "") || (location.search || "").replace(/^\?/, "");
    h.split("&").forEach(function (p) {
      var kv = p.split("=");
      if (kv[0] && keys.indexOf(kv[0]) >= 0) q[kv[0]] = decodeURIComponent(kv[1] || "");
    });
    return q;
  }
  function has(el, status) { return (el.getAttribute("data-status") || "").split(" ").indexOf(status) >= 0; }
  function cpythons() { return all("#matrix thead th[data-family=cpython]").map(function (th) { return th.getAttribute("data-impl"); }); }
  function columns(q) {
    var each = q.cpython === "each";
    all("#matrix [data-impl], #matrix [data-fold]").forEach(function (el) {
      var spec = el.getAttribute("data-impl");
      if (q.impl) el.hidden = spec !== q.impl;
      else if (el.hasAttribute("data-fold")) el.hidden = each;
      else el.hidden = el.getAttribute("data-family") === "cpython" && !each;
    });
  }
  function summary(q) {
    all(".impls tr[data-impl]").forEach(function (tr) {
      tr.classList.toggle("sel", !!q.impl && tr.getAttribute("data-impl") === q.impl);
    });
    if (q.impl && cpythons().indexOf(q.impl) >= 0 && byId("cpython")) byId("cpython").open = true;
  }
  function rows(q) {
    var opened = "open" in q ? q.open.split(",") : null, shown = 0;
    all("#matrix tbody").forEach(function (tb) {
      var g = tb.getAttribute("data-group"), inGroup = !q.group || g === q.group, matches = 0;
      all("tr.cl", tb).forEach(function (tr) {
        var ok = inGroup && (!q.status || all("td", tr).some(function (td) {
          return !td.hidden && has(td, q.status);
        }));
        tr.setAttribute("data-match", ok ? "1" : "0");
        if (ok) matches++;
      });
      shown += matches;
      var open = opened ? opened.indexOf(g) >= 0 : !!(q.group || q.status);
      tb.hidden = !inGroup || (!!q.status && !matches);
      all("tr.cl", tb).forEach(function (tr) { tr.hidden = !open || tr.getAttribute("data-match") !== "1"; });
      all("button.tog", tb).forEach(function (b) { b.setAttribute("aria-expanded", open ? "true" : "false"); });
    });
    return shown;
  }
  function findings(q) {
    var shown = 0;
    all("#findings details").forEach(function (d) {
      var ok = (!q.impl || d.getAttribute("data-impl") === q.impl) &&
        (!q.group || d.getAttribute("data-group").split(" ").indexOf(q.group) >= 0) &&
        (!q.status || has(d, q.status));
      d.hidden = !ok;
      if (ok) shown++;
    });
    return shown;
  }
  function apply() {
    var q = read();
    ["impl", "group", "status"].forEach(function (k) { byId("f-" + k).value = q[k] || ""; });
    byId("f-cpython").checked = q.cpython === "each";
    columns(q);
    summary(q);
    var clauses = rows(q), found = findings(q);
    byId("shown").textContent = clauses + " clauses, " + found + " findings shown";
  }
  function write(open) {
    var parts = [];
    ["impl", "group", "status"].forEach(function (k) {
      var v = byId("f-" + k).value;
      if (v) parts.push(k + "=" + encodeURIComponent(v));
    });
    if (byId("f-cpython").checked) parts.push("cpython=each");
    if (open !== null) parts.push("open=" + open.map(encodeURIComponent).join(","));
    history.pushState(null, "", "#" + parts.join("&"));
    apply();
  }
  function opened() {
    var q = read();
    if (!("open" in q)) return null;
    return all("#matrix button.tog[aria-expanded=true]").map(function (b) { return b.getAttribute("data-group"); });
  }
  ["impl", "group", "status"].forEach(function (k) {
    byId("f-" + k).addEventListener("change", function () { write(null); });
  });
  byId("f-cpython").addEventListener("change", function () { write(opened()); });
  all("#matrix button.tog").forEach(function (b) {
    b.addEventListener("click", function () {
      var g = b.getAttribute("data-group");
      var open = all("#matrix button.tog[aria-expanded=true]").map(function (x) { return x.getAttribute("data-group"); });
      open = b.getAttribute("aria-expanded") === "true" ? open.filter(function (x) { return x !== g; }) : open.concat([g]);
      write(open);
    });
  });
  all("a.jump").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      history.pushState(null, "", a.getAttribute("href"));
      apply();
      byId("clauses").scrollIntoView();
    });
  });
  window.addEventListener("hashchange", apply);
  apply();
  document.body.setAttribute("data-ready", "1");
})();
