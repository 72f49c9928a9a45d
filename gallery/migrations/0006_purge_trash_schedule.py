from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="wanxweb purge trash",
        defaults={"func": "gallery.tasks.purge_trash", "schedule_type": "D", "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="wanxweb purge trash").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0005_teams_sharing_curation"),
        ("django_q", "0018_task_success_index"),
    ]
    operations = [migrations.RunPython(create_schedule, delete_schedule)]
