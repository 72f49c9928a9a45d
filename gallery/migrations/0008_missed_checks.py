from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("gallery", "0007_board_item_added_index")]

    operations = [
        migrations.RenameField("generation", "unknown_answers", "missed_checks"),
    ]
