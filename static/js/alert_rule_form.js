// Shows the KPI picker only for KPI rules, the question picker only for pulse rules, and the
// teams only for a team scope. The server ignores a hidden picker's value and checks the rest.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-rule-form]");
  if (!form) return;
  const subject = form.querySelector("[name=subject]");
  const scope = form.querySelector("[name=scope]");
  const blocks = {
    kpi: form.querySelector("[data-shown-for-subject=kpi]"),
    pulse: form.querySelector("[data-shown-for-subject=pulse]"),
    teams: form.querySelector("[data-shown-for-scope=teams]"),
  };
  const update = () => {
    if (blocks.kpi && subject) blocks.kpi.hidden = subject.value !== "kpi";
    if (blocks.pulse && subject) blocks.pulse.hidden = subject.value !== "pulse";
    if (blocks.teams && scope) {
      const checked = form.querySelector("[name=scope]:checked");
      const value = checked ? checked.value : scope.value;
      blocks.teams.hidden = value !== "teams";
    }
  };
  form.addEventListener("change", update);
  update();
});
