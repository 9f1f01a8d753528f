from django.urls import path  # noqa: F401

app_name = "sales"

urlpatterns: list = [
    # --- leads (views/leads.py) ---
    # --- opportunities, kanban, forecast, requirements (views/opportunities.py, views/requirements.py) ---
    # --- catalogue (views/catalogue.py) ---
    # --- quotes and approvals (views/quotes.py) ---
    # --- contracts (views/contracts.py) ---
]
