// Turns each chart's static SVG into an interactive Vega-Lite view.
//
// The static image stays in the page for printing and for readers without JavaScript; the
// view box keeps its reserved size, so nothing below a chart moves on a wide screen. To keep
// pages quick on phones, the Vega bundle (about 1 MB) is loaded only when a chart comes near
// the screen after the reader's first scroll or touch, and charts are made interactive one per
// task as they approach, never all at once.
//
// On a screen narrower than the chart, the chart is laid out again at the screen's width, so
// its text keeps its size instead of shrinking with the image.
//
// Controls: a chart's parameters bound to inputs (a radio, a select, a slider) keep their
// values in the page's address as ?<key>.<name>=<value>, where <key> is the figure's
// data-key; a view is shared by sharing the address, and survives a reload.
//
// On a page of the Chinese edition (<html lang="zh-CN">) numbers and dates are written the
// Chinese way; the static images (innobook.charts) are drawn with the same two locales.
(function () {
  "use strict";
  var self = document.currentScript;
  var bundleUrl = self && self.dataset.vega;
  var loading = null;
  var queue = [];
  var busy = false;

  // ------------------------------------------------------------------ the edition's formats
  var LOCALES = {
    zh: {
      formatLocale: { decimal: ".", thousands: ",", grouping: [3], currency: ["¥", ""] },
      timeFormatLocale: {
        dateTime: "%x %A %X", date: "%Y年%-m月%-d日", time: "%H:%M:%S", periods: ["上午", "下午"],
        days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
        shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"]
      }
    }
  };

  // vega-embed's options for this page: the English edition keeps d3's own formats.
  function embedOptions() {
    var options = { renderer: "svg", actions: false, mode: "vega-lite" };
    var lang = (document.documentElement.lang || "").toLowerCase();
    var locale = lang.indexOf("zh") === 0 ? LOCALES.zh : null;
    if (locale) {
      options.formatLocale = locale.formatLocale;
      options.timeFormatLocale = locale.timeFormatLocale;
    }
    return options;
  }

  function loadVega() {
    if (typeof window.vegaEmbed === "function") { return Promise.resolve(); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        if (!bundleUrl) { reject(new Error("no Vega bundle named")); return; }
        var s = document.createElement("script");
        s.src = bundleUrl;
        s.async = true;
        s.onload = function () { resolve(); };
        s.onerror = function () { reject(new Error("could not load " + bundleUrl)); };
        document.head.appendChild(s);
      });
    }
    return loading;
  }

  // ------------------------------------------------------------------ state in the address
  function readState(figure) {
    var out = {};
    var key = figure.dataset.key;
    if (!key) { return out; }
    new URLSearchParams(window.location.search).forEach(function (value, name) {
      if (name.indexOf(key + ".") === 0) { out[name.slice(key.length + 1)] = value; }
    });
    return out;
  }

  function coerce(text, param) {
    var bind = param.bind || {};
    var example = param.value;
    var value = text;
    if (typeof example === "number" || bind.input === "range") {
      value = Number(text);
      if (isNaN(value)) { return undefined; }
      if (typeof bind.min === "number") { value = Math.max(bind.min, value); }
      if (typeof bind.max === "number") { value = Math.min(bind.max, value); }
    } else if (typeof example === "boolean" || bind.input === "checkbox") {
      value = text === "true";
    }
    if (bind.options && bind.options.indexOf(value) < 0) { return undefined; }
    return value;
  }

  function bound(spec) {
    return (spec.params || []).filter(function (p) { return p && p.bind && p.name; });
  }

  function applyState(spec, state) {
    bound(spec).forEach(function (p) {
      if (Object.prototype.hasOwnProperty.call(state, p.name)) {
        var value = coerce(state[p.name], p);
        if (value !== undefined) { p.value = value; }
      }
    });
  }

  function writeState(figure, name, value, fallback) {
    var key = figure.dataset.key;
    if (!key) { return; }
    var query = new URLSearchParams(window.location.search);
    var item = key + "." + name;
    if (value === fallback) { query.delete(item); } else { query.set(item, String(value)); }
    var text = query.toString();
    window.history.replaceState(window.history.state, "",
      window.location.pathname + (text ? "?" + text : "") + window.location.hash);
  }

  // ------------------------------------------------------------------ drawing
  function singleView(spec) {
    return !(spec.hconcat || spec.vconcat || spec.concat || spec.facet || spec.repeat);
  }

  // Lines of at most `chars` characters, broken between words.
  function wrap(text, chars) {
    var lines = [];
    [].concat(text).forEach(function (line) {
      var current = "";
      String(line).split(/\s+/).forEach(function (word) {
        if (current && (current + " " + word).length > chars) { lines.push(current); current = word; }
        else { current = current ? current + " " + word : word; }
      });
      if (current) { lines.push(current); }
    });
    return lines;
  }

  function eachView(spec, fn) {
    fn(spec);
    ["layer", "hconcat", "vconcat", "concat"].forEach(function (k) {
      (spec[k] || []).forEach(function (sub) { eachView(sub, fn); });
    });
  }

  // Lay a chart out again at the width of a narrow screen: titles wrap, legends take one column.
  function fitToWidth(spec, room) {
    spec.width = room;
    spec.autosize = { type: "fit-x", contains: "padding" };
    var title = spec.title;
    if (title && typeof title === "object" && !Array.isArray(title)) {
      if (title.text) { title.text = wrap(title.text, Math.max(16, Math.floor(room / 9.5))); }
      if (title.subtitle) { title.subtitle = wrap(title.subtitle, Math.max(20, Math.floor(room / 7))); }
    }
    eachView(spec, function (view) {
      var enc = view.encoding || {};
      Object.keys(enc).forEach(function (channel) {
        var legend = enc[channel] && enc[channel].legend;
        if (legend && typeof legend === "object") {
          legend.columns = 1;
          legend.labelLimit = Math.max(80, room - 40);
        }
      });
    });
  }

  // The specification: in the page (a notebook's output) or, on the site, a file of its own.
  function loadSpec(view) {
    var node = document.getElementById(view.dataset.spec);
    if (node) { return Promise.resolve(JSON.parse(node.textContent)); }
    if (!view.dataset.specUrl) { return Promise.reject(new Error("no chart specification")); }
    return fetch(view.dataset.specUrl).then(function (r) {
      if (!r.ok) { throw new Error("could not load " + view.dataset.specUrl); }
      return r.json();
    });
  }

  function embed(figure) {
    var view = figure.querySelector(".innobook-chart__view");
    return loadSpec(view).then(function (spec) { return draw(figure, view, spec); });
  }

  function draw(figure, view, spec) {
    var defaults = {};
    bound(spec).forEach(function (p) { defaults[p.name] = p.value; });
    applyState(spec, readState(figure));
    var natural = parseFloat(view.style.maxWidth) || 0;
    var room = view.clientWidth;
    var fitted = false;
    if (room > 0 && natural > room + 4 && singleView(spec)) {
      fitToWidth(spec, Math.floor(room));
      fitted = true;
    }
    var live = document.createElement("div");
    live.className = "innobook-chart__live";
    return window.vegaEmbed(live, spec, embedOptions())
      .then(function (result) {
        var img = view.querySelector("img");
        var print = document.createElement("div");
        print.className = "innobook-chart__print";
        if (img) { print.appendChild(img); }
        view.replaceChildren(live);
        if (fitted) { view.style.aspectRatio = "auto"; }
        view.parentNode.insertBefore(print, view.nextSibling);
        var state = {};
        bound(spec).forEach(function (p) {
          state[p.name] = result.view.signal(p.name);
          result.view.addSignalListener(p.name, function (name, value) {
            state[name] = value;
            figure.dataset.state = JSON.stringify(state);
            writeState(figure, name, value, defaults[name]);
          });
        });
        if (Object.keys(state).length) { figure.dataset.state = JSON.stringify(state); }
        figure.dataset.rendered = "true";
      });
  }

  function later(fn) {
    if ("requestIdleCallback" in window) { window.requestIdleCallback(fn, { timeout: 500 }); }
    else { window.setTimeout(fn, 16); }
  }

  function pump() {
    if (busy || !queue.length) { return; }
    busy = true;
    var figure = queue.shift();
    loadVega()
      .then(function () { return embed(figure); })
      .catch(function (err) {
        figure.dataset.rendered = "failed";
        console.warn("chart left as a static image:", err);
      })
      .then(function () { busy = false; later(pump); });
  }

  function want(figure) {
    if (figure.dataset.queued) { return; }
    figure.dataset.queued = "true";
    queue.push(figure);
    later(pump);
  }

  function observe(figures) {
    if (!("IntersectionObserver" in window)) { figures.forEach(want); return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { observer.unobserve(entry.target); want(entry.target); }
      });
    }, { rootMargin: "400px 0px" });
    figures.forEach(function (f) { observer.observe(f); });
  }

  // The static image is the chart until the reader does something (scrolls, points, touches,
  // types): only then is the Vega bundle fetched and are the charts near the screen made
  // interactive. Opening a page therefore costs no script work for charts. A chart whose view
  // is set in the address is made interactive at once, since its image shows the default view.
  var INTENT = ["scroll", "wheel", "pointerdown", "pointermove", "touchstart", "keydown", "focusin"];

  function start() {
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure.innobook-chart"));
    if (!figures.length) { return; }
    var shared = figures.filter(function (f) { return Object.keys(readState(f)).length > 0; });
    shared.forEach(want);
    var begun = false;
    function begin() {
      if (begun) { return; }
      begun = true;
      INTENT.forEach(function (type) { window.removeEventListener(type, begin, type !== "scroll"); });
      observe(figures.filter(function (f) { return shared.indexOf(f) < 0; }));
    }
    // The page's own scroll only (the theme scrolls its sidebar by itself as the page opens).
    INTENT.forEach(function (type) {
      window.addEventListener(type, begin, { capture: type !== "scroll", passive: true });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
