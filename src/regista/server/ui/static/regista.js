// regista web UI: the little JavaScript the pages use. Every page works without it; this adds the theme
// toggle, local times, dialogs, confirmations, the `/#/...` link mapping and a CSRF-aware fetch helper.
"use strict";
document.documentElement.classList.add("js");

(function theme() {
  var stored = null;
  try { stored = localStorage.getItem("regista-theme"); } catch (e) { /* storage may be off */ }
  if (stored === "light" || stored === "dark") document.documentElement.dataset.theme = stored;
})();

var regista = {
  // The theme in force: the stored choice, else the system's.
  currentTheme: function () {
    var t = document.documentElement.dataset.theme;
    if (t) return t;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  },
  csrf: function () {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  },
  // POST form-encoded data with the session's CSRF header (for inline updates).
  post: function (url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF": regista.csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(data || {}),
    });
  },
  // `/#/experiments/1/runs/abc` (the links the mlflow client prints) -> `/experiments/1/runs/abc`.
  hashTarget: function (hash) {
    var path = (hash || "").replace(/^#\/?/, "");
    var parts = path.split("/").filter(function (p) { return p !== ""; });
    var seg = function (s) { return encodeURIComponent(decodeURIComponent(s)); };
    if (parts[0] === "experiments" && parts[1]) {
      if (parts[2] === "runs" && parts[3]) return "/experiments/" + seg(parts[1]) + "/runs/" + seg(parts[3]);
      return "/experiments/" + seg(parts[1]);
    }
    if (parts[0] === "models" && parts[1]) {
      var v = parts.indexOf("versions", 2);
      var name = parts.slice(1, v > 0 ? v : parts.length).join("/");
      if (v > 0 && parts[v + 1]) return "/models/" + seg(name) + "/versions/" + seg(parts[v + 1]);
      return "/models/" + seg(name);
    }
    if (parts[0] === "experiments") return "/experiments";
    return null;
  },
  formatTimes: function (root) {
    var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    (root || document).querySelectorAll("time[data-ms]").forEach(function (el) {
      var ms = Number(el.dataset.ms);
      if (!isFinite(ms) || ms <= 0) return;
      var d = new Date(ms);
      el.textContent = fmt.format(d);
      el.setAttribute("datetime", d.toISOString());
      el.title = d.toISOString();
    });
  },
};

document.addEventListener("DOMContentLoaded", function () {
  var home = document.querySelector('meta[name="regista-home"]');
  if (home) {
    window.location.replace(regista.hashTarget(window.location.hash) || home.content);
    return;
  }
  var toggle = document.querySelector("[data-theme-toggle]");
  var showTheme = function () {
    var dark = regista.currentTheme() === "dark";
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
  };
  if (toggle) {
    showTheme();
    toggle.addEventListener("click", function () {
      var next = regista.currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      try { localStorage.setItem("regista-theme", next); } catch (e) { /* storage may be off */ }
      showTheme();
    });
  }
  regista.formatTimes();
  document.querySelectorAll("[data-open-dialog]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var d = document.getElementById(btn.dataset.openDialog);
      if (d) d.showModal();
    });
  });
  document.querySelectorAll("[data-close-dialog]").forEach(function (btn) {
    btn.addEventListener("click", function () { btn.closest("dialog").close(); });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });
});
