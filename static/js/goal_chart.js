// Draws a goal's actuals against its target and expected line; data comes from json_script.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("goal-chart");
  const source = document.getElementById("goal-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(JSON.parse(source.textContent));
  const datasets = [
    { label: data.names.actual, data: data.actual, borderColor: "#0d6efd", backgroundColor: "#0d6efd", spanGaps: true },
    { label: data.names.expected, data: data.expected, borderColor: "#6c757d", borderDash: [6, 4], pointRadius: 0 },
    { label: data.names.target, data: data.labels.map(() => data.target), borderColor: "#198754", pointRadius: 0 },
  ];
  if (data.forecast !== null) {
    const forecast = data.labels.map(() => null);
    forecast[forecast.length - 1] = data.forecast;
    datasets.push({ label: data.names.forecast, data: forecast, borderColor: "#fd7e14", backgroundColor: "#fd7e14", pointStyle: "triangle", pointRadius: 7, showLine: false });
  }
  new Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets },
    options: { maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } },
  });
});
