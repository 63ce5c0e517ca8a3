// The admin's "build the graph" button on the explorer page: posts the job (with the page's CSRF token), follows
// its progress, and reloads the page when the graph is built.
(function () {
  "use strict";
  var button = document.getElementById("graph-build");
  var status = document.getElementById("graph-build-status");
  if (!button || !status) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;
  function follow(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        status.textContent = job.state + (job.error ? ": " + job.error : "");
        if (job.state === "done") { window.location.reload(); }
        else if (job.state !== "failed") { window.setTimeout(function () { follow(url); }, 1000); }
        else { button.disabled = false; }
      });
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(button.dataset.url, { method: "POST", credentials: "same-origin",
                                headers: { "X-CSRF-Token": token, Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.detail || body.error || ("HTTP " + r.status)); }
          follow(r.headers.get("Location"));
        });
      })
      .catch(function (err) { status.textContent = err.message; button.disabled = false; });
  });
})();
