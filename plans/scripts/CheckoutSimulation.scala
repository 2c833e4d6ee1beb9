package shop

import io.gatling.core.Predef._
import io.gatling.http.Predef._
import scala.concurrent.duration._

// perfplan passes this pod's share of the load as system properties: `users` for a
// closed model (each user browses for the whole test), or `rate` arrivals per
// `rate.unit` seconds for an open model (each arriving user makes one visit).
class CheckoutSimulation extends Simulation {
  private val users = Integer.getInteger("users", 1).toInt
  private val rampUp = Integer.getInteger("rampup", 0).toInt
  private val duration = Integer.getInteger("duration", 60).toInt
  private val rate = Option(System.getProperty("rate")).map(_.toDouble)
  private val rateUnit = Integer.getInteger("rate.unit", 1).toInt
  private val target = System.getProperty("target.url")

  private val visit = exec(http("home").get("/"))

  private val injection = rate match {
    case Some(r) =>
      val perSecond = r / rateUnit
      val ramp = if (rampUp > 0) Seq(rampUsersPerSec(0) to perSecond during (rampUp.seconds)) else Nil
      val steady = if (duration > rampUp) Seq(constantUsersPerSec(perSecond) during ((duration - rampUp).seconds)) else Nil
      setUp(scenario("browse").exec(visit).inject(ramp ++ steady))
    case None =>
      setUp(scenario("checkout").during(duration.seconds)(visit.pause(1)).inject(rampUsers(users).during(rampUp.seconds)))
  }

  injection.protocols(http.baseUrl(target))
}
