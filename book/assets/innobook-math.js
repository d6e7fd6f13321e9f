// Loads MathJax (served by the site) only when a formula comes near the screen, so that a
// long chapter with a formula far down does not pay for typesetting while it loads.
(function () {
  "use strict";
  var self = document.currentScript;
  var url = self && self.dataset.mathjax;
  var started = false;
  function load() {
    if (started || !url) { return; }
    started = true;
    var s = document.createElement("script");
    s.src = url;
    s.async = true;
    document.head.appendChild(s);
  }
  function start() {
    var maths = document.querySelectorAll(".math, .output_latex, mjx-container");
    if (!maths.length) { return; }
    if (!("IntersectionObserver" in window)) { load(); return; }
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { observer.disconnect(); load(); }
    }, { rootMargin: "600px 0px" });
    maths.forEach(function (m) { observer.observe(m); });
    window.addEventListener("beforeprint", load);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
