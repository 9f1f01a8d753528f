from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, RecycleSection, event_links, nav_register, recycle_sections
from touchpoint.customers.access import deleted_contacts, deleted_customers
from touchpoint.org.policy import may

nav_register(NavItem("customers", _("Customers"), "customers:list", order=20,
                     visible=lambda user: may(user, "customer", "view")))  # fmt: skip
nav_register(NavItem("contacts", _("Contacts"), "customers:contacts", order=30,
                     visible=lambda user: may(user, "contact", "view")))  # fmt: skip
event_links["customers.customer"] = "customers:detail"
event_links["customers.contact"] = "customers:contact_detail"
recycle_sections["customers"] = RecycleSection("customers", _("Customers"), deleted_customers, "customers:restore", 10)
recycle_sections["contacts"] = RecycleSection("contacts", _("Contacts"), deleted_contacts, "customers:contact_restore", 20)
