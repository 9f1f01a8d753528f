from django.db import migrations

from touchpoint.core.search import SearchIndex

leads = SearchIndex("sales_lead")


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_seed_defaults")]
    operations = [migrations.RunPython(leads.forwards, leads.backwards)]
