"""The harness reads forms from pages as a browser does, and hands out distinct times."""

import datetime as dt

from bench.client import SlotAllocator, booking_choices, form_with, page_forms

PAGE = """
<form method="get" action="/search/"><input name="q" value="x"></form>
<form method="post" id="booking">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input name="name" value="Ana &amp; Luz">
  <input type="checkbox" name="authorization" checked>
  <input type="checkbox" name="other">
  <input type="radio" name="when" value="scheduled" checked>
  <input type="radio" name="when" value="now">
  <select name="provider"><option value="">---</option><option value="7" selected>Dr.</option></select>
  <select name="consultation_type"><option value="1">General</option><option value="2">Control</option></select>
  <textarea name="note">hola</textarea>
  <button type="submit" name="go">Book</button>
</form>
"""


def test_forms_give_a_browsers_defaults():
    forms = page_forms(PAGE)
    assert [f["attrs"].get("method") for f in forms] == ["get", "post"]
    booking = form_with(PAGE, "provider")
    fields = dict(booking["fields"])
    assert fields == {
        "csrfmiddlewaretoken": "tok",
        "name": "Ana & Luz",
        "authorization": "on",
        "when": "scheduled",
        "provider": "7",
        "consultation_type": "1",
        "note": "hola",
    }
    assert booking["options"]["when"] == ["scheduled", "now"]
    assert "go" not in fields  # a button sends nothing unless pressed


def test_booking_choices_pick_a_time_and_whatever_the_form_leaves_empty():
    booking = form_with(PAGE, "provider")
    when = dt.datetime(2027, 1, 4, 6, 10)
    assert booking_choices(booking, 9, when, 10) == {
        "provider": "9",
        "scheduled_date": "2027-01-04",
        "scheduled_time": "06:10",
        "duration": "10",
        "when": "scheduled",
        "authorization": "on",
    }  # the consultation type keeps the option the page selects
    blank = form_with(
        PAGE.replace('<option value="1">', '<option value="">-</option><option value="1">'),
        "provider",
    )
    assert booking_choices(blank, 9, when, 10)["consultation_type"] == "1"


def test_slots_are_distinct_and_in_the_free_hour():
    slots = SlotAllocator("America/Bogota", dt.date(2027, 1, 4))
    taken = [slots.take() for _ in range(20)]
    assert len(set(taken)) == 20
    assert all(6 <= moment.hour < 7 for moment in taken)
    assert taken[6].date() == dt.date(2027, 1, 5)
