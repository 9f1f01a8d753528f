"""Create an administrator: a superuser holding the Administrator position in Management."""

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from touchpoint.org.models import Department, Position, User
from touchpoint.org.services import user_create


class Command(BaseCommand):
    help = "Create an administrator account (password from --password, TOUCHPOINT_ADMIN_PASSWORD or a prompt)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = options["password"] or os.environ.get("TOUCHPOINT_ADMIN_PASSWORD")
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        try:
            validate_password(password, User(username=username, email=options["email"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        management = Department.objects.get(code="management")
        user_create(username=username, password=password, full_name=options["full_name"], email=options["email"],
                    department=management, positions=[Position.ADMIN], is_superuser=True)  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"Administrator {username} created."))
