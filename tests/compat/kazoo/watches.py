#!/usr/bin/python3
"""Watches: one-shot data, exists and child watches, and kazoo's DataWatch and ChildrenWatch recipes.

Every expected event is waited for with a bound. That a watch did NOT fire is shown by a later
event on the same session: the server delivers a session's notifications in order, so once the
later one is in, an earlier one would have been too.
"""

from kazoo.recipe.watchers import ChildrenWatch, DataWatch

from scenario import Scenario, Waiter


def event_text(event):
    return "none" if event is None else f"{event.type} {event.state} {event.path}"


def body(s):
    watcher = s.client()
    writer = s.client()
    s.clean(writer)
    root = s.root
    node = f"{root}/node"
    writer.create(root, b"")
    writer.create(node, b"v0")

    watcher.sync(root)  # reads from another session see its writes only after a sync
    events = Waiter()

    s.say("-- one-shot data watch (get)")
    watcher.get(node, watch=events.put)
    writer.set(node, b"v1")
    s.say(f"event: {event_text(events.take('data watch'))}")
    writer.set(node, b"v2")  # the watch is spent: no event
    watcher.exists(f"{root}/marker", watch=events.put)
    writer.create(f"{root}/marker", b"")
    s.say(f"next event: {event_text(events.take('exists watch on marker'))}")

    s.say("-- exists watch on a missing node, then its deletion")
    watcher.exists(f"{root}/later", watch=events.put)
    writer.create(f"{root}/later", b"")
    s.say(f"event: {event_text(events.take('created'))}")
    watcher.exists(f"{root}/later", watch=events.put)
    writer.delete(f"{root}/later")
    s.say(f"event: {event_text(events.take('deleted'))}")

    s.say("-- child watch (get_children): fires for membership, not for a child's data")
    writer.create(f"{node}/c1", b"")
    watcher.get_children(node, watch=events.put)
    writer.set(f"{node}/c1", b"changed")
    writer.create(f"{node}/c2", b"")
    s.say(f"event: {event_text(events.take('child watch'))}")

    s.say("-- one delete fires the node's data watch and the parent's child watch")
    data_events = Waiter()
    child_events = Waiter()
    watcher.get(f"{node}/c2", watch=data_events.put)
    watcher.get_children(node, watch=child_events.put)
    writer.delete(f"{node}/c2")
    s.say(f"data watch: {event_text(data_events.take('data watch on delete'))}")
    s.say(f"child watch: {event_text(child_events.take('child watch on delete'))}")

    s.say("-- set with a failed version check fires nothing")
    watcher.get(node, watch=events.put)
    s.attempt(f"set {node} version=99", lambda: writer.set(node, b"no", version=99))
    watcher.exists(f"{root}/marker2", watch=events.put)
    writer.create(f"{root}/marker2", b"")
    s.say(f"next event: {event_text(events.take('exists watch on marker2'))}")
    writer.set(node, b"v3")
    s.say(f"then: {event_text(events.take('data watch after a good set'))}")

    s.say("-- DataWatch")
    calls = Waiter()

    def on_data(data, stat, event):
        calls.put((data, None if stat is None else stat.version, event_text(event)))

    DataWatch(watcher, node, on_data)
    s.say("call: data=%r version=%s event=%s" % calls.take("initial DataWatch call"))
    writer.set(node, b"v4")
    s.say("call: data=%r version=%s event=%s" % calls.take("DataWatch on set"))
    writer.delete(node, recursive=True)
    s.say("call: data=%r version=%s event=%s" % calls.take("DataWatch on delete"))
    writer.create(node, b"reborn")
    s.say("call: data=%r version=%s event=%s" % calls.take("DataWatch on create"))

    s.say("-- ChildrenWatch")
    lists = Waiter()

    def on_children(children, event):
        lists.put((sorted(children), event_text(event)))

    ChildrenWatch(watcher, root, on_children, send_event=True)
    s.say("call: children=%s event=%s" % lists.take("initial ChildrenWatch call"))
    writer.create(f"{root}/k1", b"")
    s.say("call: children=%s event=%s" % lists.take("ChildrenWatch on create"))
    writer.create(f"{root}/k2", b"")
    s.say("call: children=%s event=%s" % lists.take("ChildrenWatch on second create"))
    writer.delete(f"{root}/k1")
    s.say("call: children=%s event=%s" % lists.take("ChildrenWatch on delete"))

    writer.delete(root, recursive=True)
    s.say("call: data=%r version=%s event=%s" % calls.take("DataWatch on the final delete"))


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-watches")
    scenario.run(body)
