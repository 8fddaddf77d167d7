import Link from "next/link";

export default function Forbidden() {
  return (
    <div className="space-y-3">
      <h1>403 — Forbidden</h1>
      <p>Your account does not have access to this page.</p>
      <Link className="text-blue-700 underline" href="/">
        Go to your start page
      </Link>
    </div>
  );
}
