"""`next_check_at` meant four things; each status now has a time field of its own."""

from django.db import migrations, models

FIELD_OF_STATUS = {
    "QUEUED": "retry_at",
    "SUBMITTING": "reconcile_at",
    "PENDING": "poll_at",
    "RUNNING": "poll_at",
    "DOWNLOADING": "store_claimed_until",
}


def split_next_check_at(apps, schema_editor):
    Generation = apps.get_model("gallery", "Generation")
    for status, field in FIELD_OF_STATUS.items():
        Generation.objects.filter(status=status).update(**{field: models.F("next_check_at")})


def join_into_next_check_at(apps, schema_editor):
    Generation = apps.get_model("gallery", "Generation")
    for status, field in FIELD_OF_STATUS.items():
        Generation.objects.filter(status=status).update(next_check_at=models.F(field))


def time_field(name):
    return migrations.AddField(
        "generation", name, models.DateTimeField(null=True, blank=True)
    )


class Migration(migrations.Migration):
    dependencies = [("gallery", "0009_plain_text_names")]

    operations = [
        time_field("retry_at"),
        time_field("reconcile_at"),
        time_field("poll_at"),
        time_field("store_claimed_until"),
        migrations.RunPython(split_next_check_at, join_into_next_check_at),
        migrations.RemoveIndex("generation", "generation_due"),
        migrations.RemoveField("generation", "next_check_at"),
        migrations.AddIndex(
            "generation",
            models.Index(fields=["status", "poll_at"], name="generation_poll_due"),
        ),
    ]
