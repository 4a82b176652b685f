from django.db import migrations


def create_editors(apps, schema_editor):
    # Permissions are created after migrations run; make sure this one exists now.
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="dashboard", model="submission")
    permission, _ = Permission.objects.get_or_create(
        codename="make_changes",
        content_type=content_type,
        defaults={"name": "Can create milestones and request approvals"},
    )
    editors, _ = Group.objects.get_or_create(name="editors")
    editors.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, migrations.RunPython.noop)]
