#!/usr/bin/python3
"""ACLs with digest authentication: who may read, write, create, delete and administer a node."""

from kazoo.security import (ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, Id, Permissions, make_digest_acl,
                            make_digest_acl_credential)

from scenario import Scenario, perms


def acl_text(acls):
    return "[" + ", ".join(f"{a.id.scheme}:{a.id.id}:{perms(a.perms)}" for a in acls) + "]"


def body(s):
    s.leader_first()
    admin = s.client()
    admin.add_auth("digest", "alice:secret")
    s.clean(admin)
    root = s.root
    s.say(f"digest of alice:secret -> {make_digest_acl_credential('alice', 'secret')}")

    alice_all = make_digest_acl("alice", "secret", all=True)
    bob_read = make_digest_acl("bob", "pw", read=True)
    admin.create(root, b"", acl=OPEN_ACL_UNSAFE)
    s.attempt(f"create {root}/private with alice:all bob:read",
              lambda: admin.create(f"{root}/private", b"secret data", acl=[alice_all, bob_read]))
    acls, stat = admin.get_acls(f"{root}/private")
    s.say(f"get_acls private -> {acl_text(acls)} aversion={stat.aversion}")

    anonymous = s.client()
    anonymous.sync(root)
    private = f"{root}/private"
    s.say("-- no credentials")
    s.say(f"exists private -> {anonymous.exists(private) is not None} (exists needs no permission)")
    s.attempt("get private", lambda: anonymous.get(private))
    s.attempt("set private", lambda: anonymous.set(private, b"x"))
    s.attempt("get_children private", lambda: anonymous.get_children(private))
    s.attempt("create private/child", lambda: anonymous.create(f"{private}/child", b""))
    s.attempt("get_acls private (needs READ or ADMIN)", lambda: acl_text(anonymous.get_acls(private)[0]), show=str)
    s.attempt("set_acls private", lambda: anonymous.set_acls(private, OPEN_ACL_UNSAFE))

    s.say("-- wrong password")
    mallory = s.client()
    mallory.add_auth("digest", "alice:wrong")
    s.attempt("get private as alice:wrong", lambda: mallory.get(private))

    s.say("-- bob can read only")
    bob = s.client()
    bob.add_auth("digest", "bob:pw")
    s.attempt("get private as bob", lambda: bob.get(private)[0])
    s.attempt("set private as bob", lambda: bob.set(private, b"x"))
    s.attempt("create private/child as bob", lambda: bob.create(f"{private}/child", b""))

    s.say("-- alice can do everything")
    s.attempt("create private/child as alice (open ACL)",
              lambda: admin.create(f"{private}/child", b"", acl=OPEN_ACL_UNSAFE))
    s.attempt("set private as alice", lambda: admin.set(private, b"new"), show=lambda st: f"version={st.version}")
    s.attempt("get_children private as bob (read)", lambda: bob.get_children(private))
    s.attempt("delete private/child as bob (needs DELETE on the parent)", lambda: bob.delete(f"{private}/child"))
    s.attempt("set private/child as anonymous (its own ACL is open)", lambda: anonymous.set(f"{private}/child", b"z"),
              show=lambda st: f"version={st.version}")
    s.attempt("delete private/child as alice", lambda: admin.delete(f"{private}/child"))

    s.say("-- changing the ACL")
    s.attempt("set_acls private to world:read as alice",
              lambda: admin.set_acls(private, READ_ACL_UNSAFE), show=lambda st: f"aversion={st.aversion}")
    s.attempt("get private as anonymous", lambda: anonymous.get(private)[0])
    s.attempt("set private as alice (write no longer granted)", lambda: admin.set(private, b"y"))
    acls, stat = anonymous.get_acls(private)
    s.say(f"get_acls private -> {acl_text(acls)} aversion={stat.aversion} version={stat.version}")

    s.say("-- the auth scheme: ids of the authenticated session")
    s.attempt("create authed with auth:all",
              lambda: admin.create(f"{root}/authed", b"",
                                   acl=[make_acl_auth_all()]))
    acls, _ = admin.get_acls(f"{root}/authed")
    s.say(f"get_acls authed -> {acl_text(acls)}")
    s.attempt("create authed2 with auth:all, no credentials", lambda: anonymous.create(
        f"{root}/authed2", b"", acl=[make_acl_auth_all()]))

    s.say("-- DELETE is checked on the parent")
    s.attempt("delete private as anonymous (its parent is open)", lambda: anonymous.delete(private))

    s.say("-- an unknown scheme fails the authentication, and the server closes the session")
    stranger = s.client()
    s.attempt("add_auth nosuch", lambda: stranger.add_auth("nosuch", "x"))

    # Open the nodes up again so anyone can clean the tree.
    admin.set_acls(f"{root}/authed", OPEN_ACL_UNSAFE)
    admin.delete(root, recursive=True)


def make_acl_auth_all():
    """All permissions for whoever the creating session authenticated as ("auth" scheme)."""
    return ACL(Permissions.ALL, Id("auth", ""))


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-acl")
    scenario.run(body)
