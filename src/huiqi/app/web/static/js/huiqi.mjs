// huiqi's only script: starts govuk-frontend's components (error summary focus, menus) and
// shows the print button, which needs JavaScript. Pages work without it.
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
for (const button of document.querySelectorAll("[data-huiqi-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
