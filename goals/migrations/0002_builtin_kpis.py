from django.db import migrations


def create_builtin_kpis(apps, schema_editor):
    from goals.builtin import BUILTIN_KPIS

    Organization = apps.get_model("salesops", "Organization")
    Kpi = apps.get_model("goals", "Kpi")
    for org in Organization.objects.all():
        existing = {kpi.key: kpi for kpi in Kpi.objects.filter(org=org).exclude(key="")}
        for spec in sorted(BUILTIN_KPIS, key=lambda item: bool(item.numerator)):
            if spec.key in existing:
                continue
            existing[spec.key] = Kpi.objects.create(
                org=org,
                key=spec.key,
                name=str(spec.name),
                unit=spec.unit,
                direction=spec.direction,
                aggregation=spec.aggregation,
                numerator=existing.get(spec.numerator),
                denominator=existing.get(spec.denominator),
            )


class Migration(migrations.Migration):
    dependencies = [("goals", "0001_initial")]

    operations = [migrations.RunPython(create_builtin_kpis, migrations.RunPython.noop)]
