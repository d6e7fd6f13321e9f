// Turns each chart's static SVG into an interactive Vega-Lite view.
//
// The static image stays in the page for printing and for readers without JavaScript; the
// view box keeps its reserved size throughout, so nothing below a chart moves. To keep pages
// quick on phones, the Vega bundle (about 1 MB) is loaded only when a chart comes near the
// screen, and charts are made interactive one per task as they approach, never all at once.
(function () {
  "use strict";
  var self = document.currentScript;
  var bundleUrl = self && self.dataset.vega;
  var loading = null;
  var queue = [];
  var busy = false;

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

  function embed(figure) {
    var view = figure.querySelector(".innobook-chart__view");
    var specNode = document.getElementById(view.dataset.spec);
    if (!specNode) { figure.dataset.rendered = "failed"; return Promise.resolve(); }
    var spec = JSON.parse(specNode.textContent);
    var live = document.createElement("div");
    live.className = "innobook-chart__live";
    return window.vegaEmbed(live, spec, { renderer: "svg", actions: false, mode: "vega-lite" })
      .then(function () {
        var img = view.querySelector("img");
        var print = document.createElement("div");
        print.className = "innobook-chart__print";
        if (img) { print.appendChild(img); }
        view.replaceChildren(live);
        figure.insertBefore(print, view.nextSibling);
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

  function start() {
    var figures = document.querySelectorAll("figure.innobook-chart");
    if (!figures.length) { return; }
    if (!("IntersectionObserver" in window)) { figures.forEach(want); return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { observer.unobserve(entry.target); want(entry.target); }
      });
    }, { rootMargin: "400px 0px" });
    figures.forEach(function (f) { observer.observe(f); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
