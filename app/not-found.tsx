import Link from "next/link";

export default function NotFound() {
  return (
    <div className="space-y-3">
      <h1>404 — Not found</h1>
      <Link className="text-blue-700 underline" href="/">
        Go to your start page
      </Link>
    </div>
  );
}
