// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.getElementById("messages");
  if (!box) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  const xhr = event.detail.xhr;
  const plain = xhr && (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
  alert.textContent = plain && xhr.responseText.length < 500
    ? xhr.responseText
    : document.documentElement.lang.startsWith("zh")
      ? "请求未成功，请重试。"
      : "The request did not succeed. Please try again.";
  box.replaceChildren(alert);
});
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
