// Draws an alert's value per period with its threshold as a line; data comes from json_script.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("alert-chart");
  const source = document.getElementById("alert-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const threshold = data.labels.map(() => data.threshold);
  new Chart(canvas, {
    type: data.kind === "bar" ? "bar" : "line",
    data: {
      labels: data.labels,
      datasets: [
        { type: data.kind === "bar" ? "bar" : "line", label: data.names.value, data: data.values, borderColor: "#0d6efd", backgroundColor: "#0d6efd", spanGaps: true },
        { type: "line", label: data.names.threshold, data: threshold, borderColor: "#dc3545", borderDash: [6, 4], pointRadius: 0, fill: false },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: data.kind === "bar" } },
    },
  });
});
