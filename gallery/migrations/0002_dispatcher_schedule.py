from django.db import migrations


def create_schedule(apps, schema_editor):
    # The safety net behind the kicks: every minute, a dispatcher loop resumes whatever a crash
    # or a lost broker message left in flight.
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="wanxweb dispatcher",
        defaults={"func": "gallery.tasks.dispatch", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="wanxweb dispatcher").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]
    operations = [migrations.RunPython(create_schedule, delete_schedule)]
