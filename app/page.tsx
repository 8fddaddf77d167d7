import { redirect } from "next/navigation";
import { requireUser } from "../server/users/current-user";

export default async function Home() {
  const user = await requireUser("/");
  redirect(user.role === "admin" ? "/admin" : "/queue");
}
