// Turns each chart's static SVG into an interactive Vega-Lite view.
// The static image stays in the page for printing; the view box keeps its
// reserved size throughout, so nothing below the chart moves.
(function () {
  "use strict";
  function embed(figure) {
    var view = figure.querySelector(".innobook-chart__view");
    var specNode = document.getElementById(view.dataset.spec);
    if (!specNode || typeof window.vegaEmbed !== "function") { return; }
    var spec = JSON.parse(specNode.textContent);
    var live = document.createElement("div");
    live.className = "innobook-chart__live";
    window.vegaEmbed(live, spec, { renderer: "svg", actions: false, mode: "vega-lite" })
      .then(function () {
        var img = view.querySelector("img");
        var print = document.createElement("div");
        print.className = "innobook-chart__print";
        if (img) { print.appendChild(img); }
        view.replaceChildren(live);
        figure.insertBefore(print, view.nextSibling);
        figure.dataset.rendered = "true";
      })
      .catch(function (err) {
        figure.dataset.rendered = "failed";
        console.warn("chart left as a static image:", err);
      });
  }
  function start() {
    document.querySelectorAll("figure.innobook-chart").forEach(embed);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
