from django.db import migrations

from touchpoint.core.search import SearchIndex

customers = SearchIndex("customers_customer")
contacts = SearchIndex("customers_contact")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [
        migrations.RunPython(customers.forwards, customers.backwards),
        migrations.RunPython(contacts.forwards, contacts.backwards),
    ]
